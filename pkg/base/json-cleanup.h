/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>

#include "base/macro.h"

/* jansson (>= 2.12) provides json_decrefp() for its own json_auto_t. */
#define _cleanup_json_ _cleanup_(json_decrefp)
