/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DHCP option TLVs: walking received fields, the value encoders anvil needs
 * (RFC 3442 routes, RFC 1035 names) and the layout of a reply's options into
 * the options, file and sname fields (RFC 2131 §4.1, RFC 3396, RFC 3046).
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "dhcp/dhcp-internal.h"

int dhcp_option_walk(const uint8_t *field, size_t len, dhcp_option_visit_t visit, void *userdata)
{
    size_t i = 0;

    assert(field || len == 0);
    assert(visit);

    while (i < len) {
        uint8_t code = field[i];

        /* RFC 2132 §3.1/§3.2: pad and end are the only one-octet options. */
        if (code == DHCP_OPTION_PAD) {
            i++;
            continue;
        }
        if (code == DHCP_OPTION_END)
            return 0;

        /* RFC 2131 §4.1: "Any individual option in the 'options', 'sname'
         * and 'file' fields MUST be entirely contained in that field." */
        if (len - i < 2)
            return -EBADMSG;
        uint8_t olen = field[i + 1];
        if (len - i - 2 < olen)
            return -EBADMSG;

        int r = visit(code, field + i + 2, olen, userdata);
        if (r < 0)
            return r;
        i += 2 + (size_t)olen;
    }
    return 0;
}

bool dhcp_user_class_is_rfc3004(const uint8_t *data, size_t len)
{
    size_t i = 0;

    if (!data || len == 0)
        return false;
    /* RFC 3004 §4: "The value in UC_Len_i does not include the length field
     * itself and MUST be non-zero." The items must fill Len exactly. */
    while (i < len) {
        size_t uc_len = data[i];
        if (uc_len == 0 || len - i - 1 < uc_len)
            return false;
        i += 1 + uc_len;
    }
    return true;
}

bool dhcp_relay_agent_info_is_valid(const uint8_t *data, size_t len)
{
    size_t i = 0;

    /* RFC 3046 §2.0: "The Agent Information field consists of a sequence of
     * SubOpt/Length/Value tuples [...] the minimum Relay Agent Information
     * length is two (2). [...] A sub-option length may be zero." */
    if (!data || len < 2)
        return false;
    while (i < len) {
        if (len - i < 2)
            return false;
        size_t sub_len = data[i + 1];
        if (len - i - 2 < sub_len)
            return false;
        i += 2 + sub_len;
    }
    return true;
}

int dhcp_option_append_routes(struct buf *out,
                              const struct dhcp_route *routes,
                              size_t n,
                              struct in_addr default_via)
{
    assert(out);
    assert(routes || n == 0);

    for (size_t i = 0; i <= n; i++) {
        struct dhcp_route rt;
        if (i < n)
            rt = routes[i];
        else if (default_via.s_addr != 0)
            rt = (struct dhcp_route){.prefix_len = 0, .router = default_via};
        else
            break;

        if (rt.prefix_len > 32) {
            buf_free(out);
            return -EINVAL;
        }
        /* RFC 3442: "This encoding consists of one octet describing the
         * width of the subnet mask, followed by all the significant octets
         * of the subnet number." The number of significant octets is the
         * width divided by eight, rounding up; bits past the width are
         * cleared so the descriptor is canonical. */
        uint8_t desc[1 + 4 + 4];
        size_t octets = ((size_t)rt.prefix_len + 7) / 8;
        uint32_t host = ntohl(rt.destination.s_addr);
        uint32_t mask = rt.prefix_len == 0 ? 0 : UINT32_MAX << (32 - rt.prefix_len);
        uint32_t dest = htonl(host & mask);

        desc[0] = rt.prefix_len;
        memcpy(desc + 1, &dest, octets);
        memcpy(desc + 1 + octets, &rt.router.s_addr, 4);
        int r = buf_append(out, desc, 1 + octets + 4);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Returns the RFC 1035 encoded size of name (labels, their length octets
 * and the root label) or -EINVAL when it cannot be encoded. */
static int domain_name_encoded_size(const char *name)
{
    size_t total = 1; /* root label */
    size_t n = strlen(name);
    size_t i = 0;

    if (n == 0)
        return -EINVAL;
    if (n == 1 && name[0] == '.')
        return -EINVAL; /* the root alone is not a search domain */
    while (i < n) {
        const char *dot = memchr(name + i, '.', n - i);
        size_t label = dot ? (size_t)(dot - (name + i)) : n - i;

        /* RFC 1035 §2.3.4: labels are 63 octets or less, names 255 or less. */
        if (label == 0 || label > 63)
            return -EINVAL;
        total += 1 + label;
        if (total > 255)
            return -EINVAL;
        i += label + (dot ? 1 : 0);
    }
    return (int)total;
}

bool dhcp_domain_name_is_valid(const char *name)
{
    return name && domain_name_encoded_size(name) > 0;
}

int dhcp_option_append_domain_list(struct buf *out, const char *const *names, size_t n)
{
    assert(out);
    assert(names || n == 0);

    for (size_t k = 0; k < n; k++) {
        const char *name = names[k];
        if (!name || domain_name_encoded_size(name) < 0) {
            buf_free(out);
            return -EINVAL;
        }
        /* RFC 1035 §3.1: "Domain names in messages are expressed in terms
         * of a sequence of labels. Each label is represented as a one octet
         * length field followed by that number of octets. Since every
         * domain name ends with the null label of the root, a domain name
         * is terminated by a length byte of zero." */
        size_t len = strlen(name);
        size_t i = 0;
        while (i < len) {
            const char *dot = memchr(name + i, '.', len - i);
            size_t label = dot ? (size_t)(dot - (name + i)) : len - i;
            uint8_t octet = (uint8_t)label;
            int r = buf_append(out, &octet, 1);
            if (r < 0)
                return r;
            r = buf_append(out, name + i, label);
            if (r < 0)
                return r;
            i += label + (dot ? 1 : 0);
        }
        uint8_t root = 0;
        int r = buf_append(out, &root, 1);
        if (r < 0)
            return r;
    }
    return 0;
}

int dhcp_option_list_add(struct dhcp_option_list *l, uint8_t code, const void *data, size_t len)
{
    assert(l);
    assert(data || len == 0);
    assert(code != DHCP_OPTION_PAD && code != DHCP_OPTION_END);

    if (l->n >= ARRAY_SIZE(l->items))
        return -E2BIG;
    size_t off = l->data.len;
    if (len > 0) {
        int r = buf_append(&l->data, data, len);
        if (r < 0)
            return r;
    }
    l->items[l->n++] = (struct dhcp_option_item){.code = code, .off = off, .len = len};
    return 0;
}

size_t dhcp_option_wire_size(size_t len)
{
    /* RFC 3396: an option longer than 255 octets is carried as several
     * instances, each with its own code and length octets. */
    if (len == 0)
        return 2;
    return len + 2 * ((len + 254) / 255);
}

static void region_put(struct dhcp_region *rg, uint8_t code, const uint8_t *data, size_t len)
{
    assert(len <= 255);
    assert(rg->cap - rg->used >= len + 2);
    rg->buf[rg->used++] = code;
    rg->buf[rg->used++] = (uint8_t)len;
    if (len > 0)
        memcpy(rg->buf + rg->used, data, len);
    rg->used += len;
}

/* Free bytes of a region for option content, keeping one for its end. */
static size_t region_room(const struct dhcp_region *rg)
{
    if (rg->cap == 0 || rg->used + 1 >= rg->cap)
        return 0;
    return rg->cap - rg->used - 1;
}

/*
 * Places one option into regions[0..n). An option of up to 255 bytes is
 * never split: it goes whole into the first region with room, so clients
 * without RFC 3396 support still read it. A longer one is cut into pieces
 * that follow each other in the aggregate order (options, file, sname).
 * RFC 3396 §5: "an option that doesn't fit into one field can't overlap the
 * boundary into another field - the encoding agent must instead break the
 * option into two parts and store one part in each buffer."
 */
static int place_option(struct dhcp_region **regions,
                        size_t n,
                        uint8_t code,
                        const uint8_t *data,
                        size_t len)
{
    if (len <= 255) {
        for (size_t i = 0; i < n; i++)
            if (region_room(regions[i]) >= len + 2) {
                region_put(regions[i], code, data, len);
                return 0;
            }
        return -EMSGSIZE;
    }

    size_t done = 0;
    size_t i = 0;
    while (done < len) {
        while (i < n && region_room(regions[i]) < 3)
            i++;
        if (i >= n)
            return -EMSGSIZE;
        size_t piece = MIN(MIN(len - done, (size_t)255), region_room(regions[i]) - 2);
        region_put(regions[i], code, data + done, piece);
        done += piece;
    }
    return 0;
}

static void region_reset(struct dhcp_region *rg)
{
    if (rg->cap > 0)
        memset(rg->buf, 0, rg->cap);
    rg->used = 0;
}

static const struct dhcp_option_item *find_item(const struct dhcp_option_list *l, uint8_t code)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].code == code)
            return &l->items[i];
    return NULL;
}

/* One attempt: with_overload selects the file/sname fields as spill-over,
 * with_relay whether option 82 is kept. */
static int layout_try(const struct dhcp_option_list *l,
                      struct dhcp_region *options,
                      struct dhcp_region *file,
                      struct dhcp_region *sname,
                      bool with_overload,
                      bool with_relay,
                      uint8_t *ret_overload)
{
    const uint8_t *data = (const uint8_t *)l->data.data;
    const struct dhcp_option_item *relay = with_relay ? find_item(l, DHCP_OPTION_RELAY_AGENT_INFO)
                                                      : NULL;
    size_t reserve = 0;

    region_reset(options);
    region_reset(file);
    region_reset(sname);

    /* RFC 3046 §2.2: "Servers SHALL NOT place the echoed Relay Agent
     * Information option in the overloaded sname or file fields." Keep room
     * for it (and for option 52) at the end of the options field. */
    if (relay) {
        if (relay->len > 255)
            return -EMSGSIZE;
        reserve += relay->len + 2;
    }
    if (with_overload)
        reserve += 3;
    if (options->cap < reserve + 1)
        return -EMSGSIZE;
    options->cap -= reserve;

    struct dhcp_region *regions[3] = {options, file, sname};
    size_t n_regions = with_overload ? 3 : 1;
    int r = 0;
    for (size_t i = 0; i < l->n && r >= 0; i++) {
        const struct dhcp_option_item *it = &l->items[i];
        if (it->code == DHCP_OPTION_RELAY_AGENT_INFO)
            continue;
        r = place_option(regions, n_regions, it->code, data ? data + it->off : NULL, it->len);
    }
    options->cap += reserve;
    if (r < 0)
        return r;

    uint8_t overload = 0;
    if (file->used > 0)
        overload |= DHCP_OVERLOAD_FILE;
    if (sname->used > 0)
        overload |= DHCP_OVERLOAD_SNAME;
    if (overload) {
        /* RFC 2131 §4.1: "If the options in a DHCP message extend into the
         * 'sname' and 'file' fields, the 'option overload' option MUST
         * appear in the 'options' field, with value 1, 2 or 3". */
        region_put(options, DHCP_OPTION_OVERLOAD, &overload, 1);
    }
    if (relay) {
        /* RFC 3046 §2.2: "Servers SHOULD copy the Relay Agent Information
         * option as the last DHCP option in the response." */
        region_put(options, relay->code, data + relay->off, relay->len);
    }

    /* RFC 2131 §4.1: the options field and every overloaded field "MUST be
     * terminated by an 'end' option", the rest being pad (zero). */
    options->buf[options->used++] = DHCP_OPTION_END;
    if (file->used > 0)
        file->buf[file->used++] = DHCP_OPTION_END;
    if (sname->used > 0)
        sname->buf[sname->used++] = DHCP_OPTION_END;

    *ret_overload = overload;
    return 0;
}

int dhcp_options_layout(const struct dhcp_option_list *l,
                        struct dhcp_region *options,
                        struct dhcp_region *file,
                        struct dhcp_region *sname,
                        uint8_t *ret_overload,
                        bool *ret_dropped_relay_info)
{
    uint8_t overload = 0;
    int r;

    assert(l && options && file && sname && ret_overload && ret_dropped_relay_info);

    r = layout_try(l, options, file, sname, false, true, &overload);
    if (r == -EMSGSIZE)
        r = layout_try(l, options, file, sname, true, true, &overload);
    if (r == -EMSGSIZE && find_item(l, DHCP_OPTION_RELAY_AGENT_INFO)) {
        /* RFC 3046 §2.2: "If a server is unable to copy a full Relay Agent
         * Information field into a response, it SHALL send the response
         * without the Relay Information Field". */
        r = layout_try(l, options, file, sname, true, false, &overload);
        if (r >= 0) {
            *ret_overload = overload;
            *ret_dropped_relay_info = true;
            return 0;
        }
    }
    if (r < 0)
        return r;

    *ret_overload = overload;
    *ret_dropped_relay_info = false;
    return 0;
}
