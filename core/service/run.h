/* SPDX-License-Identifier: GPL-2.0-only */
/* Run a created VM as a partition until it ends. */
#ifndef PARTVM_SERVICE_RUN_H
#define PARTVM_SERVICE_RUN_H

struct vm;

/* Boot and run until the guest powers off, crashes, or is stopped;
 * reboots are handled inside. Returns the process exit status. */
int service_run(struct vm *vm);

#endif
