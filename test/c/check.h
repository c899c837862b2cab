/*
 * check.h - what the nats.c test programs share: the "ok <name>" / "FAIL <name>: <reason>"
 * report lines with their failure count, the watchdog that stops a hung run, and a connection
 * with bounded timeouts and no reconnects. Included by the programs (one source file each,
 * built as in test/c/README.md); not a library of its own.
 */
#ifndef TSNATS_CHECK_H
#define TSNATS_CHECK_H

#include <nats/nats.h>

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#define WATCHDOG_SECONDS 25
#define WAIT_MS 2000 /* upper bound for waiting on something expected */

static int failures = 0;

static inline void pass(const char *name)
{
    printf("ok %s\n", name);
    fflush(stdout);
}

static inline void fail(const char *name, const char *fmt, ...)
{
    va_list ap;

    failures++;
    printf("FAIL %s: ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

static inline void on_watchdog(int sig)
{
    static const char msg[] = "FAIL watchdog: run exceeded the time limit\n";
    ssize_t           n;

    (void) sig;
    n = write(STDOUT_FILENO, msg, sizeof(msg) - 1);
    (void) n;
    _exit(3);
}

/* Stop the run with a FAIL line and exit status 3 after WATCHDOG_SECONDS. */
static inline void start_watchdog(void)
{
    signal(SIGALRM, on_watchdog);
    alarm(WATCHDOG_SECONDS);
}

/* Open a connection with bounded timeouts and no reconnect attempts; `name` may be NULL. */
static inline natsStatus connect_to(natsConnection **nc, const char *url, const char *name)
{
    natsOptions *opts = NULL;
    natsStatus   s;

    s = natsOptions_Create(&opts);
    if (s == NATS_OK)
        s = natsOptions_SetURL(opts, url);
    if (s == NATS_OK && name != NULL)
        s = natsOptions_SetName(opts, name);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(opts, WAIT_MS);
    if (s == NATS_OK)
        s = natsOptions_SetAllowReconnect(opts, false);
    if (s == NATS_OK)
        s = natsConnection_Connect(nc, opts);
    natsOptions_Destroy(opts);
    return s;
}

#endif
