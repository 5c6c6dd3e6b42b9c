/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which clients are network-boot clients, which iPXE binary each
 * architecture gets, and what goes into 'file' and 'siaddr': Tinkerbell
 * Smee's table (reference/tinkerbell-compat.md §5.2, §5.3).
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dhcp/dhcp-internal.h"

#define DHCP_DEFAULT_TFTP_PORT 69
#define DHCP_DEFAULT_HTTP_PORT 7080

static struct in_addr or_public(const struct dhcp_config *cfg, struct in_addr a)
{
    return a.s_addr != 0 ? a : cfg->public_ip;
}

struct in_addr dhcp_config_server_ip(const struct dhcp_config *cfg)
{
    return or_public(cfg, cfg->server_ip);
}

struct in_addr dhcp_config_tftp_ip(const struct dhcp_config *cfg)
{
    return or_public(cfg, cfg->tftp_ip);
}

struct in_addr dhcp_config_http_ip(const struct dhcp_config *cfg)
{
    return or_public(cfg, cfg->http_ip);
}

uint16_t dhcp_config_tftp_port(const struct dhcp_config *cfg)
{
    return cfg->tftp_port ? cfg->tftp_port : DHCP_DEFAULT_TFTP_PORT;
}

uint16_t dhcp_config_http_port(const struct dhcp_config *cfg)
{
    return cfg->http_port ? cfg->http_port : DHCP_DEFAULT_HTTP_PORT;
}

bool dhcp_is_http_client(const struct dhcp_packet *p)
{
    return dhcp_packet_vendor_class_has_prefix(p, "HTTPClient");
}

bool dhcp_is_ipxe(const struct dhcp_packet *p)
{
    return dhcp_packet_get_option(p, DHCP_OPTION_IPXE_ENCAP, NULL, NULL) >= 0 ||
           dhcp_packet_has_user_class(p, "iPXE") || dhcp_packet_has_user_class(p, "Tinkerbell");
}

bool dhcp_is_netboot_client(const struct dhcp_packet *p)
{
    uint8_t type = dhcp_packet_message_type(p);
    const uint8_t *guid;
    size_t guid_len;

    /* The PXE specification and RFC 4578 §2: a PXE (or UEFI HTTP) client
     * identifies itself by its class identifier and sends options 93 and 94
     * in every DISCOVER and REQUEST. */
    if (type != DHCP_DISCOVER && type != DHCP_REQUEST)
        return false;
    if (!dhcp_packet_vendor_class_has_prefix(p, "PXEClient") && !dhcp_is_http_client(p))
        return false;
    if (dhcp_packet_n_client_arch(p) == 0)
        return false;
    if (dhcp_packet_get_client_ndi(p, NULL, NULL, NULL) < 0)
        return false;

    /* RFC 4578 §2.3: option 97 is a type octet (0 = GUID) and 16 octets.
     * Like Smee, accept ROMs that leave it out or send it empty. */
    if (dhcp_packet_get_client_machine_id(p, &guid, &guid_len) >= 0 && guid_len != 0 &&
        (guid_len != 17 || guid[0] != 0))
        return false;
    return true;
}

bool dhcp_mac_is_raspberry_pi(const uint8_t mac[DHCP_ETHER_ADDR_LEN])
{
    static const uint8_t ouis[][3] = {
            {0xb8, 0x27, 0xeb},
            {0xdc, 0xa6, 0x32},
            {0xe4, 0x5f, 0x01},
            {0x28, 0xcd, 0xc1},
            {0xd8, 0x3a, 0xdd},
    };

    for (size_t i = 0; i < ARRAY_SIZE(ouis); i++)
        if (memcmp(mac, ouis[i], 3) == 0)
            return true;
    return false;
}

#define DHCP_ARCH_RPIBOOT     41
#define DHCP_ARCH_UBOOT_ARM32 21
#define DHCP_ARCH_UBOOT_ARM64 22

const char *dhcp_arch_default_binary(uint16_t arch)
{
    /* IANA processor architecture types (RFC 4578 §2.1 and its registry)
     * mapped as Smee's ArchToBootFile does. */
    switch (arch) {
    case 0: /* x86 BIOS */
    case 1: /* NEC PC98 */
    case 2: /* EFI Itanium */
    case 3: /* DEC Alpha */
    case 4: /* Arc x86 */
    case 5: /* Intel Lean Client */
    case 20: /* x86 BIOS over HTTP */
        return "undionly.kpxe";
    case 6:  /* EFI IA32 */
    case 7:  /* EFI x86-64 */
    case 8:  /* EFI Xscale */
    case 9:  /* EFI BC (x86-64) */
    case 15: /* EFI x86 HTTP */
    case 16: /* EFI x86-64 HTTP */
        return "ipxe.efi";
    case 10: /* EFI ARM32 */
    case 11: /* EFI ARM64 */
    case 18: /* EFI ARM32 HTTP */
    case 19: /* EFI ARM64 HTTP */
    case DHCP_ARCH_RPIBOOT:
        return "snp-arm64.efi";
    default:
        return NULL;
    }
}

static const char *arch_binary(const struct dhcp_config *cfg, uint16_t arch)
{
    for (size_t i = 0; i < cfg->n_arch_overrides; i++)
        if (cfg->arch_overrides[i].arch == arch && cfg->arch_overrides[i].binary &&
            cfg->arch_overrides[i].binary[0])
            return cfg->arch_overrides[i].binary;
    return dhcp_arch_default_binary(arch);
}

bool dhcp_arch_pick(const struct dhcp_packet *p,
                    const struct dhcp_config *cfg,
                    uint16_t *ret_arch,
                    const char **ret_binary)
{
    const char *bin;

    /* Some Raspberry Pi firmware reports option 93 = 0 (x86 BIOS); Smee
     * trusts the MAC's OUI instead. */
    if (dhcp_packet_hlen(p) == DHCP_ETHER_ADDR_LEN &&
        dhcp_mac_is_raspberry_pi(dhcp_packet_chaddr(p))) {
        bin = arch_binary(cfg, DHCP_ARCH_RPIBOOT);
        if (!bin)
            return false;
        *ret_arch = DHCP_ARCH_RPIBOOT;
        *ret_binary = bin;
        return true;
    }

    size_t n = dhcp_packet_n_client_arch(p);
    for (size_t i = 0; i < n; i++) {
        uint16_t arch;
        if (dhcp_packet_get_client_arch(p, i, &arch) < 0)
            break;
        bin = arch_binary(cfg, arch);
        if (bin) {
            *ret_arch = arch;
            *ret_binary = bin;
            return true;
        }
    }
    return false;
}

void dhcp_format_mac(const uint8_t mac[DHCP_ETHER_ADDR_LEN], char out[18])
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < DHCP_ETHER_ADDR_LEN; i++) {
        out[3 * i] = hex[mac[i] >> 4];
        out[3 * i + 1] = hex[mac[i] & 0xf];
        out[3 * i + 2] = i + 1 < DHCP_ETHER_ADDR_LEN ? ':' : '\0';
    }
}

/* Writes "<base>/<a>/<b>" (no doubled slash) or the default base built from
 * ip/port/dir when base is NULL. Returns 0 or -ENAMETOOLONG. */
static int join_url(char *out,
                    size_t size,
                    const char *base,
                    struct in_addr ip,
                    uint16_t port,
                    const char *dir,
                    const char *a,
                    const char *b)
{
    char ipbuf[INET_ADDRSTRLEN];
    int n;

    if (base) {
        size_t len = strlen(base);
        const char *sep = len > 0 && base[len - 1] == '/' ? "" : "/";
        n = snprintf(out, size, "%s%s%s/%s", base, sep, a, b);
    } else {
        if (!inet_ntop(AF_INET, &ip, ipbuf, sizeof(ipbuf)))
            return -EINVAL;
        n = snprintf(out, size, "http://%s:%u%s/%s/%s", ipbuf, (unsigned)port, dir, a, b);
    }
    if (n < 0)
        return -EINVAL;
    if ((size_t)n >= size)
        return -ENAMETOOLONG;
    return 0;
}

static int copy_file(char *out, size_t size, const char *s)
{
    size_t len = strlen(s);
    if (len >= size)
        return -ENAMETOOLONG;
    memcpy(out, s, len + 1);
    return 0;
}

int dhcp_boot_choose(const struct dhcp_packet *p,
                     const struct dhcp_config *cfg,
                     uint16_t arch,
                     const char *binary,
                     const char *script_url,
                     struct dhcp_boot *ret)
{
    struct dhcp_boot b = {.next_server = dhcp_config_tftp_ip(cfg)};
    char mac[18];
    int r;

    assert(p && cfg && ret);
    assert(dhcp_packet_hlen(p) == DHCP_ETHER_ADDR_LEN);
    dhcp_format_mac(dhcp_packet_chaddr(p), mac);

    /* Order matters (Smee's Bootfile()): a client that already runs the
     * chainloaded iPXE must get the script, or it loops on the binary. */
    if (dhcp_packet_has_user_class(p, "Tinkerbell") ||
        (cfg->ipxe_script_for_ipxe && dhcp_is_ipxe(p))) {
        b.kind = DHCP_BOOT_SCRIPT;
        if (script_url && script_url[0])
            r = copy_file(b.file, sizeof(b.file), script_url);
        else
            r = join_url(b.file, sizeof(b.file), cfg->script_url_base, dhcp_config_http_ip(cfg),
                         dhcp_config_http_port(cfg), "/ipxe/script", mac, "auto.ipxe");
    } else if (dhcp_is_http_client(p)) {
        /* UEFI HTTP boot: the file is a URL and the next server the HTTP
         * host. */
        if (!binary)
            return -EINVAL;
        b.kind = DHCP_BOOT_HTTP_BINARY;
        b.next_server = dhcp_config_http_ip(cfg);
        r = join_url(b.file, sizeof(b.file), cfg->binary_url_base, dhcp_config_http_ip(cfg),
                     dhcp_config_http_port(cfg), "/ipxe/binary", mac, binary);
    } else if (dhcp_packet_has_user_class(p, "iPXE")) {
        /* Another iPXE (a NIC ROM): option 43 sub 6 = 8 makes it boot the
         * file as given, so it must be a full tftp:// URL. */
        char ipbuf[INET_ADDRSTRLEN];
        struct in_addr tftp = dhcp_config_tftp_ip(cfg);
        if (!binary)
            return -EINVAL;
        if (!inet_ntop(AF_INET, &tftp, ipbuf, sizeof(ipbuf)))
            return -EINVAL;
        b.kind = DHCP_BOOT_TFTP_URL;
        int n = snprintf(b.file, sizeof(b.file), "tftp://%s:%u/%s/%s", ipbuf,
                         (unsigned)dhcp_config_tftp_port(cfg), mac, binary);
        r = n < 0 ? -EINVAL : (size_t)n >= sizeof(b.file) ? -ENAMETOOLONG : 0;
    } else if (arch == DHCP_ARCH_RPIBOOT || arch == DHCP_ARCH_UBOOT_ARM32 ||
               arch == DHCP_ARCH_UBOOT_ARM64) {
        /* Raspberry Pi and U-Boot firmware fetch their own files over
         * TFTP; they get the next server and no file name. */
        b.kind = DHCP_BOOT_ROM_EMPTY;
        r = 0;
    } else {
        if (!binary)
            return -EINVAL;
        b.kind = DHCP_BOOT_ROM_BINARY;
        r = copy_file(b.file, sizeof(b.file), binary);
    }
    if (r < 0)
        return r;

    *ret = b;
    return 0;
}
