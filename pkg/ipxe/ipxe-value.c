/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The value rules of pkg/ipxe: what may appear on an iPXE script line, MAC
 * normalisation, and the checks of the daemon's configuration.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "base/macro.h"
#include "ipxe/ipxe-internal.h"

bool ipxe_value_is_safe(const char *value, bool standalone)
{
    if (!value)
        return false;
    size_t len = strlen(value);
    if (len == 0 || len > IPXE_VALUE_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        /* Whitespace would split the token (iPXE's split_command() uses
         * isspace()); control bytes and line breaks would end the line. */
        if (c < 0x21 || c > 0x7e)
            return false;
        /* Quotes group words on the kernel's command line; a backslash at
         * the end of a script line continues it onto the next one. */
        if (c == '"' || c == '\'' || c == '\\')
            return false;
        /* iPXE expands "${name}" in every token of a command. */
        if (c == '$' && value[i + 1] == '{')
            return false;
    }
    if (!standalone)
        return true;
    /* iPXE's command_terminator(): a token starting with '#' begins a
     * comment, and these three tokens chain commands. */
    if (value[0] == '#')
        return false;
    if (strcmp(value, "||") == 0 || strcmp(value, "&&") == 0 || strcmp(value, ";") == 0)
        return false;
    return true;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int ipxe_mac_normalize(const char *mac, char ret[IPXE_MAC_STRLEN])
{
    static const char digits[] = "0123456789abcdef";
    char out[IPXE_MAC_STRLEN];

    assert_return(mac, -EINVAL);
    assert_return(ret, -EINVAL);

    /* Exactly "xx?xx?xx?xx?xx?xx" with one separator kind throughout. */
    if (strlen(mac) != IPXE_MAC_STRLEN - 1)
        return -EINVAL;
    char sep = mac[2];
    if (sep != ':' && sep != '-')
        return -EINVAL;
    for (size_t i = 0; i < IPXE_MAC_STRLEN - 1; i++) {
        if (i % 3 == 2) {
            if (mac[i] != sep)
                return -EINVAL;
            out[i] = ':';
            continue;
        }
        int v = hex_value(mac[i]);
        if (v < 0)
            return -EINVAL;
        out[i] = digits[v];
    }
    out[IPXE_MAC_STRLEN - 1] = '\0';
    memcpy(ret, out, sizeof(out));
    return 0;
}

bool ipxe_url_is_http(const char *url)
{
    if (!url)
        return false;
    if (strncasecmp(url, "http://", 7) == 0)
        return url[7] != '\0';
    if (strncasecmp(url, "https://", 8) == 0)
        return url[8] != '\0';
    return false;
}

/* NULL and "" are both "not set". */
static bool is_set(const char *s)
{
    return s && s[0];
}

static int check_optional(const char *value, const char *field, const char **reterr_field)
{
    if (!is_set(value) || ipxe_value_is_safe(value, true))
        return 0;
    *reterr_field = field;
    return -EINVAL;
}

bool ipxe_is_token_arg(const char *arg)
{
    size_t n = strlen(IPXE_TOKEN_KEY);
    return strncmp(arg, IPXE_TOKEN_KEY, n) == 0 && (arg[n] == '=' || arg[n] == '\0');
}

int ipxe_config_check(const struct ipxe_config *cfg, const char **reterr_field)
{
    const struct {
        const char *value;
        const char *field;
    } strings[] = {
            {cfg->bootenv_url, "config.bootenv_url"},
            {cfg->kernel_name, "config.kernel_name"},
            {cfg->initrd_name, "config.initrd_name"},
            {cfg->grpc_authority, "config.grpc_authority"},
            {cfg->syslog_host, "config.syslog_host"},
            {cfg->facility, "config.facility"},
            {cfg->token, "config.token"},
    };
    int r;

    *reterr_field = NULL;
    if (!is_set(cfg->bootenv_url)) {
        *reterr_field = "config.bootenv_url";
        return -EINVAL;
    }
    for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
        r = check_optional(strings[i].value, strings[i].field, reterr_field);
        if (r < 0)
            return r;
    }
    if (cfg->n_extra_kernel_args > 0 && !cfg->extra_kernel_args) {
        *reterr_field = "config.extra_kernel_args";
        return -EINVAL;
    }
    for (size_t i = 0; i < cfg->n_extra_kernel_args; i++) {
        /* The same rule the script writer applies: the token is ours alone. */
        const char *arg = cfg->extra_kernel_args[i];
        r = check_optional(arg, "config.extra_kernel_args", reterr_field);
        if (r < 0)
            return r;
        if (is_set(arg) && ipxe_is_token_arg(arg)) {
            *reterr_field = "config.extra_kernel_args";
            return -EINVAL;
        }
    }
    if (cfg->retries > IPXE_RETRIES_MAX) {
        *reterr_field = "config.retries";
        return -EINVAL;
    }
    if (cfg->retry_delay > IPXE_RETRY_DELAY_MAX) {
        *reterr_field = "config.retry_delay";
        return -EINVAL;
    }
    return 0;
}
