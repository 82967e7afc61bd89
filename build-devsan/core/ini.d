build-devsan/core/ini.o: core/ini.c core/ini.h core/cleanup.h
core/ini.h:
core/cleanup.h:
