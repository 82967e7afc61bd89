/* SPDX-License-Identifier: GPL-2.0-only */
/* Scope-bound cleanup for json-c objects (the control socket, --json). */
#ifndef PARTVM_UTIL_JSON_H
#define PARTVM_UTIL_JSON_H

#include <json-c/json.h>

#include "core/util/cleanup.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_tokener *, json_tokener_free)

#endif
