/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Private to pkg/actions, its tests and its fuzzers: image mapping,
 * environment and option parsing, bounded output tails and message text,
 * the process runner, the streaming decompressor, mount helpers and the
 * built-in executors.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "actions/actions.h"
#include "buf/buf.h"

/* ---- image references (actions-image.c) -------------------------------- */

enum actions_kind {
    ACTIONS_KIND_EXEC,
    ACTIONS_KIND_IMAGE2DISK,
    ACTIONS_KIND_WRITEFILE,
    ACTIONS_KIND_CEXEC,
    ACTIONS_KIND_REBOOT,
    ACTIONS_KIND_POWEROFF,
    ACTIONS_KIND_KEXEC,
    ACTIONS_KIND_OCI, /* anything else: docker or ctr */
    _ACTIONS_KIND_MAX,
    _ACTIONS_KIND_INVALID = -1,
};

/* Maps an image reference to its executor: "anvil/<name>" and the upstream
 * action repositories (with any tag or digest) give a built-in, any other
 * well-formed reference ACTIONS_KIND_OCI. Returns 0 and *ret; -EINVAL for a
 * reference that is NULL, empty, longer than AGENTPROTO_IMAGE_MAX, starts
 * with '-' or holds bytes outside printable ASCII or whitespace; -ENOENT for
 * an "anvil/<name>" that names no built-in. Pure. */
int actions_image_kind(const char *image, enum actions_kind *ret);

/* "exec", "image2disk", ..., "oci"; NULL when out of range. */
const char *actions_kind_to_string(enum actions_kind k);

/* ---- environment and option values (actions-env.c) --------------------- */

/* Checks that every entry is "K=V" with K non-empty and free of spaces and
 * control characters (V may hold anything). Returns 0;
 * -EINVAL with *ret_bad (may be NULL) the index of the first bad entry. */
int actions_env_check(const struct agentproto_strv *env, size_t *ret_bad);

/* The value of name in env ("K=V" entries; the last one wins), borrowed
 * from env; NULL when absent. */
const char *actions_env_get(const struct agentproto_strv *env, const char *name);

/* Go's strconv.ParseBool set: 1 t T TRUE true True / 0 f F FALSE false
 * False. 0 and *ret, or -EINVAL. */
int actions_parse_bool(const char *s, bool *ret);

/* An octal file mode ("0644", "755", optional leading "0o"), at most 07777.
 * 0 and *ret, or -EINVAL / -ERANGE. */
int actions_parse_mode(const char *s, mode_t *ret);

/* A decimal uid/gid below 4294967295. 0 and *ret, or -EINVAL / -ERANGE. */
int actions_parse_id(const char *s, uint32_t *ret);

/* Splits s at any byte of seps, dropping empty fields. Returns 0 with *ret
 * (a NULL-terminated malloc'd vector, free with actions_strv_free) and
 * *ret_n (may be NULL); -ENOMEM. */
int actions_split(const char *s, const char *seps, char ***ret, size_t *ret_n);

/* Frees a NULL-terminated vector of malloc'd strings; NULL-safe; NULL. */
char **actions_strv_free(char **v);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, actions_strv_free);

/* ---- text (actions-text.c) --------------------------------------------- */

/* The last cap bytes of a stream, and how many went by. */
struct actions_tail {
    char *data;
    size_t cap, len, start;
    uint64_t total;
};

/* 0 or -ENOMEM. A cap of 0 keeps nothing but still counts. */
int actions_tail_init(struct actions_tail *t, size_t cap);
void actions_tail_append(struct actions_tail *t, const void *p, size_t n);
void actions_tail_done(struct actions_tail *t);

/* Appends the kept bytes to out as valid UTF-8 (actions_text_append), after
 * "[N bytes not shown]\n" when some were dropped, and without a cut
 * character at the start. 0 or the buf error. */
int actions_tail_render(const struct actions_tail *t, struct buf *out);

/* Appends n bytes of untrusted text to out as valid UTF-8: every byte that
 * does not start a valid RFC 3629 sequence, and NUL, becomes U+FFFD. 0 or
 * the buf error (-E2BIG past out's cap, -ENOMEM). */
int actions_text_append(struct buf *out, const void *p, size_t n);

/* Hands b's text over as a result message: cut (at a character boundary,
 * ending in "...") to AGENTPROTO_MESSAGE_MAX bytes. b must hold valid
 * UTF-8. Returns 0 and *ret (malloc'd), or -ENOMEM. b is emptied. */
int actions_text_take_message(struct buf *b, char **ret);

/* Formats a byte count for people: "512 B", "12.0 MiB", "1.5 GiB". */
#define ACTIONS_SIZE_STRLEN 32
void actions_format_size(uint64_t bytes, char ret[static ACTIONS_SIZE_STRLEN]);

/* CLOCK_MONOTONIC in microseconds. */
uint64_t actions_now_usec(void);

/* ---- processes (actions-proc.c) ---------------------------------------- */

struct actions_proc_opts {
    char *const *argv;      /* argv[0]: a path, or a name searched in envp's PATH */
    char *const *envp;      /* the whole environment of the child */
    const char *cwd;        /* chdir in the child (after chroot); NULL: inherit */
    const char *root;       /* chroot in the child; NULL: none */
    uint64_t deadline_usec; /* CLOCK_MONOTONIC; 0: none */
    int cancel_fd;          /* -1: none */
    size_t tail;            /* bytes of stdout and of stderr kept */
    unsigned kill_grace_ms; /* SIGTERM -> SIGKILL on deadline/cancel */
    unsigned progress_interval_ms;
    actions_progress_fn progress; /* may be NULL; gets "started pid N" and output lines */
    void *userdata;
};

struct actions_proc_result {
    bool exited;    /* exit_code is valid */
    int exit_code;  /* 0-255 */
    int signal;     /* killed by this signal (exited false) */
    int exec_errno; /* the child could not start argv[0]; nothing ran */
    bool timed_out; /* the deadline passed and the group was killed */
    bool cancelled; /* cancel_fd became readable and the group was killed */
    double seconds; /* wall time */
    struct actions_tail out, err;
};

/* Runs argv in a new process group with stdin on /dev/null and stdout and
 * stderr captured into tails, until the process exits, the deadline passes
 * or cancel_fd becomes readable (then SIGTERM to the group, SIGKILL after
 * the grace). When the main process has exited, whatever is left of its
 * group is killed with SIGKILL (a container's lifetime). Returns 0 and
 * *ret (release with actions_proc_result_done) when the process was
 * started or failed to exec; -errno when no process could be made (pipe,
 * fork) or memory ran out. */
int actions_proc_run(const struct actions_proc_opts *o, struct actions_proc_result *ret);
void actions_proc_result_done(struct actions_proc_result *r);

/* Looks for an executable name in the colon-separated path (a name with a
 * '/' is taken as is). Returns 0 and *ret (malloc'd), -ENOENT, -ENOMEM. */
int actions_find_program(const char *name, const char *path, char **ret);

/* ---- streaming decompression (actions-decode.c) ------------------------ */

enum actions_compression {
    ACTIONS_COMPRESSION_AUTO, /* by magic; no magic: raw */
    ACTIONS_COMPRESSION_NONE,
    ACTIONS_COMPRESSION_GZIP,
    ACTIONS_COMPRESSION_XZ,
    ACTIONS_COMPRESSION_ZSTD,
    ACTIONS_COMPRESSION_BZIP2,
    _ACTIONS_COMPRESSION_MAX,
};

/* "auto", "none", "gzip", "xz", "zstd", "bzip2"; NULL out of range. */
const char *actions_compression_to_string(enum actions_compression c);

/* The format whose magic starts data (NONE when none does or when fewer
 * bytes than that magic are given). */
enum actions_compression actions_compression_sniff(const void *data, size_t len);

/* Receives decoded bytes: 0 or -errno (which the decoder passes on). */
typedef int (*actions_sink_fn)(const void *data, size_t len, void *userdata);

struct actions_decoder;

/* Makes a decoder for c (AUTO: decided from the first bytes) that writes to
 * sink. memlimit caps the decoder's own memory for xz and the zstd window
 * (0: 1 GiB). Only the library state for the format in use is set up.
 * Returns 0 and *ret, -EINVAL, -ENOMEM. */
int actions_decoder_new(struct actions_decoder **ret,
                        enum actions_compression c,
                        uint64_t memlimit,
                        actions_sink_fn sink,
                        void *userdata);

/* Feeds len bytes. Returns 0, the sink's error, -EBADMSG (corrupt data),
 * -ENOMEM, -E2BIG (memlimit) or -EIO (a library refused to set up). After
 * an error the decoder refuses more input with the same error;
 * actions_decoder_error() says what went wrong. */
int actions_decoder_feed(struct actions_decoder *d, const void *data, size_t len);

/* Ends the input: 0 when the compressed stream was complete, -EPIPE when it
 * stopped early (truncated), or the error of a previous call. */
int actions_decoder_finish(struct actions_decoder *d);

/* Human text for the last error ("" when none); borrowed. */
const char *actions_decoder_error(const struct actions_decoder *d);

/* The format in use (AUTO until decided), and bytes in and out so far. */
enum actions_compression actions_decoder_format(const struct actions_decoder *d);
uint64_t actions_decoder_bytes_in(const struct actions_decoder *d);
uint64_t actions_decoder_bytes_out(const struct actions_decoder *d);

struct actions_decoder *actions_decoder_free(struct actions_decoder *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct actions_decoder *, actions_decoder_free);

/* ---- the run context shared by the executors (actions.c) --------------- */

struct actions_ctx {
    const struct agentproto_action *a;
    struct actions_opts o; /* defaults filled in */
    int cancel_fd;
    actions_progress_fn progress;
    void *userdata;
    uint64_t start_usec, deadline_usec, last_progress_usec;
    /* The outcome, filled by the executor. */
    enum agentproto_state state;
    struct buf msg;
    enum actions_after after;
    char *kexec_kernel, *kexec_initrd, *kexec_cmdline;
};

/* Sets state and replaces the message with the formatted text (made valid
 * UTF-8). Returns 0, or -ENOMEM. */
int actions_ctx_set(struct actions_ctx *c, enum agentproto_state state, const char *fmt, ...)
        _printf_(3, 4);

/* The action's variable name (borrowed), or NULL. */
const char *actions_ctx_env(const struct actions_ctx *c, const char *name);

/* True when cancel_fd is readable now. */
bool actions_ctx_cancelled(const struct actions_ctx *c);

/* Calls the progress callback with the formatted text when the interval has
 * passed since the previous call (or always when force). */
void actions_ctx_progress(struct actions_ctx *c, bool force, const char *fmt, ...) _printf_(3, 4);

/* The environment for a child: the action's entries plus PATH (from the
 * action, else search_path, else a default). Returns 0 and *ret; -ENOMEM. */
int actions_ctx_child_env(const struct actions_ctx *c, char ***ret);

/* Renders a finished process into the context's state and message: exit
 * status, signal, timeout or cancellation, and the output tails. label
 * names what ran in the message ("command", "docker"). 0 or -ENOMEM. */
int actions_ctx_set_from_proc(struct actions_ctx *c,
                              const char *label,
                              const struct actions_proc_result *r);

/* ---- mounts (actions-mount.c) ------------------------------------------ */

struct actions_mount {
    char *root;       /* where the filesystem is reachable */
    char *tmpdir;     /* our mount point, removed on close; NULL for a directory target */
    bool mounted;     /* root is a mount we made */
    char *special[3]; /* dev, proc, sys mounted under root (actions_mount_special) */
};

#define ACTIONS_MOUNT_INIT ((struct actions_mount){.root = NULL})

/* Makes disk reachable as a directory: a directory is used as it is (an
 * anvil extension for tests and for rootfs trees); a block device is
 * mounted on a fresh directory under work_dir with fstype (empty or NULL:
 * every type in /proc/filesystems is tried); a regular file is attached to
 * a loop device first. Returns 0 and *ret; -errno with a message appended
 * to err. */
int actions_mount_open(const char *disk,
                       const char *fstype,
                       const char *work_dir,
                       struct actions_mount *ret,
                       struct buf *err);

/* Mounts devtmpfs, proc and sysfs (read-only, as upstream cexec does) on
 * root/dev, root/proc, root/sys, creating the directories when missing.
 * 0 or -errno with a message appended to err. */
int actions_mount_special(struct actions_mount *m, struct buf *err);

/* Unmounts what open and special mounted and removes the mount point.
 * Returns 0 or the first -errno (everything is still attempted). */
int actions_mount_close(struct actions_mount *m);

/* Opens path (absolute, inside the tree at root_fd) with the tree as the
 * root for "..", absolute symlinks and everything else (openat2
 * RESOLVE_IN_ROOT; a plain openat relative to root_fd where the kernel has
 * no openat2). Returns the fd or -errno. */
int actions_open_in_root(int root_fd, const char *path, int flags, mode_t mode);

/* ---- GRUB configuration (actions-grub.c) ------------------------------- */

/* Largest configuration read. */
#define ACTIONS_GRUB_MAX (1024u * 1024u)

/* Finds the default entry of a GRUB configuration (len bytes, no NUL
 * needed): "set default=N" (decimal; anything else means 0, as does N past
 * the last entry) among the menuentry blocks that have a linux line. Paths
 * lose a "(hd0,gpt2)" prefix; "\$" becomes "$". Returns 0 with *ret_kernel,
 * *ret_initrd (NULL when the entry has none) and *ret_args (malloc'd);
 * -ENOENT when no entry has a kernel; -EFBIG past ACTIONS_GRUB_MAX;
 * -ENOMEM. Pure. */
int actions_grub_default(
        const char *text, size_t len, char **ret_kernel, char **ret_initrd, char **ret_args);

/* ---- executors --------------------------------------------------------- */

int actions_exec_run(struct actions_ctx *c);                            /* actions-exec.c */
int actions_image2disk_run(struct actions_ctx *c);                      /* actions-image2disk.c */
int actions_writefile_run(struct actions_ctx *c);                       /* actions-writefile.c */
int actions_cexec_run(struct actions_ctx *c);                           /* actions-cexec.c */
int actions_kexec_run(struct actions_ctx *c);                           /* actions-boot.c */
int actions_reboot_run(struct actions_ctx *c, enum actions_after what); /* actions-boot.c */
int actions_oci_run(struct actions_ctx *c);                             /* actions-oci.c */

/* Builds the docker (or ctr when the program's name is "ctr") argument
 * vector for the action, without running it. name is the container name.
 * Returns 0 and *ret; -EINVAL with a message in err for an action it cannot
 * express (e.g. a value with a newline for ctr); -ENOMEM. */
int actions_oci_argv(const struct agentproto_action *a,
                     const char *program,
                     const char *name,
                     char ***ret,
                     struct buf *err);

/* The container name for an action: "anvil_<name>_<actionID>" reduced to
 * [A-Za-z0-9_.-], at most 128 bytes. Returns 0 and *ret, or -ENOMEM. */
int actions_oci_name(const struct agentproto_action *a, char **ret);
