build-devsan/core/vcpu.o: core/vcpu.c core/vcpu.h core/boot/boot.h \
 core/cleanup.h core/cpuid.h core/kvm.h core/log.h core/vm.h core/bus.h \
 core/config.h core/memory.h sriov/sriov.h
core/vcpu.h:
core/boot/boot.h:
core/cleanup.h:
core/cpuid.h:
core/kvm.h:
core/log.h:
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
