/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>

#include "base/macro.h"

static inline void json_decrefp(json_t **p)
{
    if (*p)
        json_decref(*p);
}
#define _cleanup_json_ _cleanup_(json_decrefp)
