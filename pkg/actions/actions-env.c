/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The action's environment ("K=V" entries) and the values the upstream
 * action images read from it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "actions/actions-internal.h"

static bool env_name_ok(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
            return false;
    return true;
}

int actions_env_check(const struct agentproto_strv *env, size_t *ret_bad)
{
    assert_return(env, -EINVAL);
    for (size_t i = 0; i < env->n; i++) {
        const char *e = env->v ? env->v[i] : NULL;
        const char *eq = e ? strchr(e, '=') : NULL;
        if (!eq || !env_name_ok(e, (size_t)(eq - e))) {
            if (ret_bad)
                *ret_bad = i;
            return -EINVAL;
        }
    }
    return 0;
}

const char *actions_env_get(const struct agentproto_strv *env, const char *name)
{
    const char *found = NULL;
    if (!env || !env->v || !name)
        return NULL;
    size_t nl = strlen(name);
    for (size_t i = 0; i < env->n; i++) {
        const char *e = env->v[i];
        if (e && strncmp(e, name, nl) == 0 && e[nl] == '=')
            found = e + nl + 1;
    }
    return found;
}

int actions_parse_bool(const char *s, bool *ret)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    assert_return(ret, -EINVAL);
    if (!s)
        return -EINVAL;
    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (strcmp(s, yes[i]) == 0) {
            *ret = true;
            return 0;
        }
        if (strcmp(s, no[i]) == 0) {
            *ret = false;
            return 0;
        }
    }
    return -EINVAL;
}

int actions_parse_mode(const char *s, mode_t *ret)
{
    assert_return(ret, -EINVAL);
    if (!s)
        return -EINVAL;
    if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
        s += 2;
    if (!*s)
        return -EINVAL;
    unsigned long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '7')
            return -EINVAL;
        v = v * 8 + (unsigned long)(*p - '0');
        if (v > 07777)
            return -ERANGE;
    }
    *ret = (mode_t)v;
    return 0;
}

int actions_parse_id(const char *s, uint32_t *ret)
{
    assert_return(ret, -EINVAL);
    if (!s || !*s)
        return -EINVAL;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -EINVAL;
        v = v * 10 + (uint64_t)(*p - '0');
        if (v >= UINT32_MAX) /* (uid_t)-1 means "unchanged" to chown */
            return -ERANGE;
    }
    *ret = (uint32_t)v;
    return 0;
}

char **actions_strv_free(char **v)
{
    if (v)
        for (char **p = v; *p; p++)
            free(*p);
    free(v);
    return NULL;
}

int actions_split(const char *s, const char *seps, char ***ret, size_t *ret_n)
{
    assert_return(s && seps && ret, -EINVAL);
    size_t n = 0;
    for (const char *p = s; *p;) {
        p += strspn(p, seps);
        if (!*p)
            break;
        n++;
        p += strcspn(p, seps);
    }
    _cleanup_(actions_strv_freep) char **v = calloc(n + 1, sizeof(char *));
    if (!v)
        return -ENOMEM;
    size_t i = 0;
    for (const char *p = s; *p;) {
        p += strspn(p, seps);
        if (!*p)
            break;
        size_t len = strcspn(p, seps);
        v[i] = strndup(p, len);
        if (!v[i])
            return -ENOMEM;
        i++;
        p += len;
    }
    if (ret_n)
        *ret_n = n;
    *ret = TAKE_PTR(v);
    return 0;
}
