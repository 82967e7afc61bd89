build-devsan/core/control_client.o: core/control_client.c core/cleanup.h \
 core/control.h
core/cleanup.h:
core/control.h:
