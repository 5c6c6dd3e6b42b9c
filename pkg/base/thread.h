/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * A service thread whose loop polls an eventfd to learn it must stop: the
 * shape of every UDP server here (DHCP, TFTP, syslog). The loop owns its
 * sockets; only base_thread_stop() is called from another thread.
 */

#include <pthread.h>
#include <stdbool.h>

struct base_thread {
    pthread_t thread;
    int stop_fd; /* readable once a stop was asked for; poll it in the loop */
    bool running;
};

#define BASE_THREAD_INIT ((struct base_thread){.stop_fd = -1, .running = false})

/* Creates the stop eventfd (non-blocking, close-on-exec). 0 or -errno. */
int base_thread_init(struct base_thread *t);

/* Runs fn(arg) in a new thread. 0, -EINVAL (not initialised or already
 * running), or the pthread error as -errno. */
int base_thread_start(struct base_thread *t, void *(*fn)(void *), void *arg);

/* Signals the eventfd and joins the thread. Idempotent; 0 or -errno. Must
 * not be called from the thread itself. */
int base_thread_stop(struct base_thread *t);

/* Stops the thread if running and closes the eventfd. */
void base_thread_done(struct base_thread *t);
