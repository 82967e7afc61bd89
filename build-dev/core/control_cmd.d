build-dev/core/control_cmd.o: core/control_cmd.c core/cleanup.h \
 core/control.h core/log.h core/resources.h core/memory.h core/service.h \
 core/vm.h core/bus.h core/config.h sriov/sriov.h
core/cleanup.h:
core/control.h:
core/log.h:
core/resources.h:
core/memory.h:
core/service.h:
core/vm.h:
core/bus.h:
core/config.h:
sriov/sriov.h:
