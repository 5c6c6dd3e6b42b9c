/* SPDX-License-Identifier: Apache-2.0 */
/* anvil-apiserver: flags, wiring, signals and exit codes. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_COMPONENT "apiserver"
#include "apiserver/apiserver.h"
#include "base/flag.h"
#include "log/log.h"

static struct apiserver *the_server; /* for the signal handler only */

static void on_signal(int sig)
{
    (void)sig;
    if (the_server)
        apiserver_stop(the_server);
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: anvil-apiserver [OPTIONS]\n"
            "A single-process Kubernetes-compatible API server stored in SQLite.\n\n"
            "  --listen ADDR:PORT          address to serve on (default 127.0.0.1:6443)\n"
            "  --data-dir DIR              where the database lives (default ./var/apiserver)\n"
            "  --tls-cert FILE --tls-key FILE   serve HTTPS with this pair\n"
            "  --tls-generate              create a self-signed pair in the data dir if missing\n"
            "  --token-file FILE           require bearer tokens (CSV: token,user,uid)\n"
            "  --write-kubeconfig FILE     write a kubeconfig for this server and exit status 0\n"
            "                              once listening (the server keeps running)\n"
            "  --compaction-retain N       keep at least N revisions of history (default 1000)\n"
            "  --compaction-window SECS    keep every event newer than SECS (default 300)\n"
            "  --compaction-interval SECS  how often to compact (default 60)\n"
            "  --watch-bookmark-interval SECS  BOOKMARK period for watches (default 60)\n"
            "  --sync-full                 fsync every commit (power-loss safe, slower)\n"
            "  --log-format text|json      log format (default text)\n"
            "  --log-level LEVEL           debug, info, warn, error (default info)\n"
            "  --help                      show this help\n");
}

static int mkdir_p(const char *dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int main(int argc, char **argv)
{
    enum {
        OPT_LISTEN = 1000,
        OPT_DATA,
        OPT_CERT,
        OPT_KEY,
        OPT_GEN,
        OPT_TOKEN,
        OPT_KUBECONFIG,
        OPT_RETAIN,
        OPT_WINDOW,
        OPT_INTERVAL,
        OPT_BOOKMARK,
        OPT_SYNC,
        OPT_LOGFMT,
        OPT_LOGLEVEL,
        OPT_HELP,
    };
    static const struct option longopts[] = {
            {"listen", required_argument, NULL, OPT_LISTEN},
            {"data-dir", required_argument, NULL, OPT_DATA},
            {"tls-cert", required_argument, NULL, OPT_CERT},
            {"tls-key", required_argument, NULL, OPT_KEY},
            {"tls-generate", no_argument, NULL, OPT_GEN},
            {"token-file", required_argument, NULL, OPT_TOKEN},
            {"write-kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
            {"compaction-retain", required_argument, NULL, OPT_RETAIN},
            {"compaction-window", required_argument, NULL, OPT_WINDOW},
            {"compaction-interval", required_argument, NULL, OPT_INTERVAL},
            {"watch-bookmark-interval", required_argument, NULL, OPT_BOOKMARK},
            {"sync-full", no_argument, NULL, OPT_SYNC},
            {"log-format", required_argument, NULL, OPT_LOGFMT},
            {"log-level", required_argument, NULL, OPT_LOGLEVEL},
            {"help", no_argument, NULL, OPT_HELP},
            {NULL, 0, NULL, 0},
    };
    struct apiserver_opts o = {
            .listen = "127.0.0.1:6443",
            .data_dir = "./var/apiserver",
            .compact_retain = 1000,
            .compact_window_sec = 300,
            .compact_interval_sec = 60,
            .watch_bookmark_sec = 60,
    };
    const char *kubeconfig = NULL;
    bool generate = false;
    long long n;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_LISTEN:
            o.listen = optarg;
            break;
        case OPT_DATA:
            o.data_dir = optarg;
            break;
        case OPT_CERT:
            o.tls_cert = optarg;
            break;
        case OPT_KEY:
            o.tls_key = optarg;
            break;
        case OPT_GEN:
            generate = true;
            break;
        case OPT_TOKEN:
            o.token_file = optarg;
            break;
        case OPT_KUBECONFIG:
            kubeconfig = optarg;
            break;
        case OPT_RETAIN:
            if (base_flag_int("--compaction-retain", optarg, 1, LLONG_MAX, NULL, &n) < 0)
                return 2;
            o.compact_retain = (uint64_t)n;
            break;
        case OPT_WINDOW:
            if (base_flag_int("--compaction-window", optarg, 1, LLONG_MAX, NULL, &n) < 0)
                return 2;
            o.compact_window_sec = n;
            break;
        case OPT_INTERVAL:
            if (base_flag_int("--compaction-interval", optarg, 1, LLONG_MAX, NULL, &n) < 0)
                return 2;
            o.compact_interval_sec = n;
            break;
        case OPT_BOOKMARK:
            if (base_flag_int("--watch-bookmark-interval", optarg, 1, LLONG_MAX, NULL, &n) < 0)
                return 2;
            o.watch_bookmark_sec = n;
            break;
        case OPT_SYNC:
            o.sync_full = true;
            break;
        case OPT_LOGFMT: {
            enum log_format f;
            if (log_format_from_string(optarg, &f) < 0) {
                fprintf(stderr, "anvil-apiserver: invalid --log-format: %s (text or json)\n",
                        optarg);
                return 2;
            }
            log_set_format(f);
            break;
        }
        case OPT_LOGLEVEL: {
            enum log_level l;
            if (log_level_from_string(optarg, &l) < 0) {
                fprintf(stderr, "anvil-apiserver: invalid --log-level: %s\n", optarg);
                return 2;
            }
            log_set_level(l);
            break;
        }
        case OPT_HELP:
            usage(stdout);
            return 0;
        default:
            fprintf(stderr, "anvil-apiserver: unknown or incomplete option: %s (see --help)\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "anvil-apiserver: unexpected argument: %s\n", argv[optind]);
        return 2;
    }
    if (!o.tls_cert != !o.tls_key) {
        fprintf(stderr, "anvil-apiserver: --tls-cert and --tls-key go together\n");
        return 2;
    }
    int r = mkdir_p(o.data_dir);
    if (r < 0) {
        fprintf(stderr, "anvil-apiserver: cannot create data dir %s: %s\n", o.data_dir,
                strerror(-r));
        return 1;
    }
    char cert[PATH_MAX], key[PATH_MAX];
    if (generate && !o.tls_cert) {
        snprintf(cert, sizeof(cert), "%s/tls.crt", o.data_dir);
        snprintf(key, sizeof(key), "%s/tls.key", o.data_dir);
        if (access(cert, R_OK) < 0 || access(key, R_OK) < 0) {
            char host[256];
            snprintf(host, sizeof(host), "%s", o.listen);
            char *colon = strrchr(host, ':');
            if (colon)
                *colon = '\0';
            const char *sans[] = {"127.0.0.1", "localhost", "::1", host[0] ? host : NULL, NULL};
            if (host[0] && (strcmp(host, "127.0.0.1") == 0 || strcmp(host, "localhost") == 0))
                sans[3] = NULL;
            if ((r = apiserver_tls_generate(cert, key, sans)) < 0) {
                fprintf(stderr, "anvil-apiserver: cannot generate TLS pair: %s\n", strerror(-r));
                return 1;
            }
        }
        o.tls_cert = cert;
        o.tls_key = key;
    }
    signal(SIGPIPE, SIG_IGN);
    struct apiserver *s;
    r = apiserver_new(&s, &o);
    if (r < 0) {
        fprintf(stderr, "anvil-apiserver: cannot start on %s with data in %s: %s\n", o.listen,
                o.data_dir, strerror(-r));
        return 1;
    }
    the_server = s;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (kubeconfig) {
        char url[300], host[256];
        snprintf(host, sizeof(host), "%s", o.listen);
        char *colon = strrchr(host, ':');
        if (colon)
            *colon = '\0';
        snprintf(url, sizeof(url), "%s://%s:%d", o.tls_cert ? "https" : "http",
                 strcmp(host, "0.0.0.0") == 0 || !host[0] ? "127.0.0.1" : host, apiserver_port(s));
        char token[512] = "";
        if (o.token_file) {
            FILE *f = fopen(o.token_file, "re");
            if (f && fgets(token, sizeof(token), f))
                token[strcspn(token, ",\r\n")] = '\0';
            if (f)
                fclose(f);
        }
        r = apiserver_write_kubeconfig(kubeconfig, url, o.tls_cert, token[0] ? token : NULL);
        if (r < 0) {
            fprintf(stderr, "anvil-apiserver: cannot write kubeconfig %s: %s\n", kubeconfig,
                    strerror(-r));
            apiserver_free(s);
            return 1;
        }
    }
    log_info("serving", LOG_STR("listen", o.listen), LOG_INT("port", apiserver_port(s)),
             LOG_STR("data_dir", o.data_dir), LOG_BOOL("tls", o.tls_cert != NULL),
             LOG_BOOL("auth", o.token_file != NULL));
    r = apiserver_run(s);
    log_info("stopped", LOG_INT("status", r));
    the_server = NULL;
    apiserver_free(s);
    return r < 0 ? 1 : 0;
}
