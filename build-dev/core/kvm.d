build-dev/core/kvm.o: core/kvm.c core/kvm.h core/cleanup.h core/layout.h \
 core/log.h core/vm.h core/bus.h core/config.h core/memory.h \
 sriov/sriov.h
core/kvm.h:
core/cleanup.h:
core/layout.h:
core/log.h:
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
