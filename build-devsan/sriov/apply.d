build-devsan/sriov/apply.o: sriov/apply.c sriov/sriov.h
sriov/sriov.h:
