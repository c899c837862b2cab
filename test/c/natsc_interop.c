/*
 * natsc_interop.c - interoperability checks for tsnats using the official
 * NATS C client (Debian's libnats, 3.4.x).
 *
 * Usage:  natsc_interop nats://127.0.0.1:4222
 *
 * Every check prints exactly one line, either "ok <name>" or
 * "FAIL <name>: <reason>". The exit status is 0 only if every check passed.
 * All waits are bounded (about 2 s at most each) and a watchdog alarm kills
 * the process if the whole run takes longer than WATCHDOG_SECONDS, so the
 * program never hangs even against a misbehaving server.
 *
 * Several checks read the connection statistics (inMsgs). libnats counts a
 * MSG/HMSG there before it looks up the subscription, so the counter tells
 * what the *server* sent, even for messages the library would drop itself
 * (e.g. after an unsubscribe). That lets the unsubscribe checks verify the
 * server side and not just the client library's filtering.
 *
 * Build:  gcc -std=c11 -Wall -Wextra -O1 -o natsc_interop natsc_interop.c -lnats -lpthread
 */
#define _POSIX_C_SOURCE 200809L

#include "check.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUIET_MS 100      /* how long to wait to be sure nothing else arrives */
#define CONN_NAME "tsnats-natsc-interop"

/* ------------------------------------------------------------------------ */
/* Reporting (pass, fail, the watchdog: check.h)                            */
/* ------------------------------------------------------------------------ */

/* Text of a status plus libnats' last error message, for failure reasons. */
static const char *why(natsStatus s)
{
    static char buf[512];
    natsStatus  last = NATS_OK;
    const char *detail = nats_GetLastError(&last);

    /* The last error is per thread and may be left over from an earlier
     * call, so only show it when it belongs to this status. */
    if (last != s || detail == NULL)
        detail = "";
    snprintf(buf, sizeof(buf), "%s (%d)%s%s", natsStatus_GetText(s), (int) s,
             detail[0] != '\0' ? ": " : "", detail);
    return buf;
}

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

/* A message counter shared with asynchronous callbacks. `per` counts the
 * messages delivered to each member when several subscriptions share it. */
typedef struct
{
    pthread_mutex_t mu;
    pthread_cond_t  cv;
    int             total;
    int             per[4];
    int             bad;        /* messages whose payload was not as expected */
    const char     *expect;     /* expected payload prefix, or NULL */
} counter_t;

/* Closure for one subscription feeding a counter. */
typedef struct
{
    counter_t *counter;
    int        member;
} tally_t;

static void counter_init(counter_t *c, const char *expect)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->expect = expect;
}

static void counter_free(counter_t *c)
{
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
}

static int counter_total(counter_t *c)
{
    int n;

    pthread_mutex_lock(&c->mu);
    n = c->total;
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* Wait until the counter reaches `target` or `ms` elapse; returns the total. */
static int counter_wait(counter_t *c, int target, int64_t ms)
{
    struct timespec deadline;
    int             n;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += (time_t) (ms / 1000);
    deadline.tv_nsec += (long) (ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L)
    {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->mu);
    while (c->total < target)
    {
        if (pthread_cond_timedwait(&c->cv, &c->mu, &deadline) != 0)
            break;
    }
    n = c->total;
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* Message handler: count the message for its member and check the payload. */
static void on_tally(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    tally_t    *t = (tally_t *) closure;
    counter_t  *c = t->counter;
    const char *data = natsMsg_GetData(msg);
    int         len = natsMsg_GetDataLength(msg);

    (void) nc;
    (void) sub;
    pthread_mutex_lock(&c->mu);
    c->total++;
    c->per[t->member]++;
    if (c->expect != NULL
        && (len < (int) strlen(c->expect) || memcmp(data, c->expect, strlen(c->expect)) != 0))
        c->bad++;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    natsMsg_Destroy(msg);
}

/* Message handler for the request/reply service: answer "re:<payload>". */
static void on_request(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    char        answer[256];
    const char *reply = natsMsg_GetReply(msg);

    (void) sub;
    (void) closure;
    if (reply != NULL && reply[0] != '\0')
    {
        snprintf(answer, sizeof(answer), "re:%.*s",
                 natsMsg_GetDataLength(msg), natsMsg_GetData(msg));
        natsConnection_PublishString(nc, reply, answer);
    }
    natsMsg_Destroy(msg);
}

/* Number of messages the server has delivered on a connection so far. */
static uint64_t in_msgs(natsConnection *nc)
{
    natsStatistics *stats = NULL;
    uint64_t        n = 0;

    if (natsStatistics_Create(&stats) == NATS_OK)
    {
        if (natsConnection_GetStats(nc, stats) == NATS_OK)
            natsStatistics_GetCounts(stats, &n, NULL, NULL, NULL, NULL);
        natsStatistics_Destroy(stats);
    }
    return n;
}

/* Publish `count` copies of `data` to `subj` and flush. */
static natsStatus publish_n(natsConnection *nc, const char *subj, const char *data, int count)
{
    natsStatus s = NATS_OK;
    int        i;

    for (i = 0; i < count && s == NATS_OK; i++)
        s = natsConnection_PublishString(nc, subj, data);
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(nc, WAIT_MS);
    return s;
}

/* Drain a synchronous subscription: collect the subjects of all pending
 * messages (comma separated) until nothing arrives for `quiet_ms`. Returns
 * the number of messages received. */
static int drain_subjects(natsSubscription *sub, char *out, size_t outlen, int64_t quiet_ms)
{
    natsMsg *m = NULL;
    int      n = 0;

    out[0] = '\0';
    while (natsSubscription_NextMsg(&m, sub, quiet_ms) == NATS_OK)
    {
        size_t used = strlen(out);

        snprintf(out + used, outlen - used, "%s%s", n > 0 ? "," : "", natsMsg_GetSubject(m));
        natsMsg_Destroy(m);
        n++;
    }
    return n;
}

/* ------------------------------------------------------------------------ */
/* Checks                                                                   */
/* ------------------------------------------------------------------------ */

/* Shared state: the main connection and a second one (responder/queue peer). */
typedef struct
{
    const char     *url;
    natsConnection *nc;
    natsConnection *nc2;
} env_t;

static void check_status_connected(env_t *e)
{
    natsConnStatus st = natsConnection_Status(e->nc);

    if (st == NATS_CONN_STATUS_CONNECTED)
        pass("status_connected");
    else
        fail("status_connected", "status is %d, want %d", (int) st, (int) NATS_CONN_STATUS_CONNECTED);
}

/* INFO was parsed: the server advertised a payload limit and an id. */
static void check_server_info(env_t *e)
{
    char       id[256] = "";
    int64_t    maxp = natsConnection_GetMaxPayload(e->nc);
    natsStatus s = natsConnection_GetConnectedServerId(e->nc, id, sizeof(id));

    if (maxp <= 0)
        fail("server_info", "max_payload is %lld", (long long) maxp);
    else if (s != NATS_OK || id[0] == '\0')
        fail("server_info", "no server id: %s", why(s));
    else
        pass("server_info");
}

/* A plain publish followed by a flush is accepted (no -ERR, no disconnect). */
static void check_publish(env_t *e)
{
    natsStatus s = natsConnection_PublishString(e->nc, "interop.nobody.listens", "hello");

    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(e->nc, WAIT_MS);
    if (s != NATS_OK)
        fail("publish", "%s", why(s));
    else if (natsConnection_Status(e->nc) != NATS_CONN_STATUS_CONNECTED)
        fail("publish", "connection no longer connected after publish");
    else
        pass("publish");
}

/* PING/PONG round trips complete promptly, several times in a row. */
static void check_flush(env_t *e)
{
    natsStatus s = NATS_OK;
    int        i;

    for (i = 0; i < 5 && s == NATS_OK; i++)
        s = natsConnection_FlushTimeout(e->nc, WAIT_MS);
    if (s != NATS_OK)
        fail("flush", "round trip %d: %s", i, why(s));
    else
        pass("flush");
}

/* SubscribeSync + NextMsg: subject, reply subject and payload survive. */
static void check_sync_subscribe(env_t *e)
{
    natsSubscription *sub = NULL;
    natsMsg          *m = NULL;
    natsStatus        s;

    s = natsConnection_SubscribeSync(&sub, e->nc, "interop.sync");
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(e->nc, WAIT_MS);
    if (s == NATS_OK)
        s = natsConnection_PublishRequestString(e->nc, "interop.sync", "interop.sync.reply", "hello sync");
    if (s == NATS_OK)
        s = natsSubscription_NextMsg(&m, sub, WAIT_MS);

    if (s != NATS_OK)
        fail("sync_subscribe", "%s", why(s));
    else if (strcmp(natsMsg_GetSubject(m), "interop.sync") != 0)
        fail("sync_subscribe", "subject %s", natsMsg_GetSubject(m));
    else if (natsMsg_GetReply(m) == NULL || strcmp(natsMsg_GetReply(m), "interop.sync.reply") != 0)
        fail("sync_subscribe", "reply %s", natsMsg_GetReply(m) ? natsMsg_GetReply(m) : "(none)");
    else if (natsMsg_GetDataLength(m) != 10 || memcmp(natsMsg_GetData(m), "hello sync", 10) != 0)
        fail("sync_subscribe", "payload '%.*s'", natsMsg_GetDataLength(m), natsMsg_GetData(m));
    else
        pass("sync_subscribe");

    natsMsg_Destroy(m);
    natsSubscription_Destroy(sub);
}

/* A payload containing CR, LF, NUL and protocol-looking text is opaque. */
static void check_binary_payload(env_t *e)
{
    static const char payload[] = "a\r\nb\0c\r\nPUB x 1\r\nMSG y 1 2\r\n\xff";
    const int         len = (int) sizeof(payload) - 1;
    natsSubscription *sub = NULL;
    natsMsg          *m = NULL;
    natsStatus        s;

    s = natsConnection_SubscribeSync(&sub, e->nc, "interop.binary");
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(e->nc, WAIT_MS);
    if (s == NATS_OK)
        s = natsConnection_Publish(e->nc, "interop.binary", payload, len);
    if (s == NATS_OK)
        s = natsSubscription_NextMsg(&m, sub, WAIT_MS);

    if (s != NATS_OK)
        fail("binary_payload", "%s", why(s));
    else if (natsMsg_GetDataLength(m) != len || memcmp(natsMsg_GetData(m), payload, len) != 0)
        fail("binary_payload", "got %d bytes, want %d (or contents differ)", natsMsg_GetDataLength(m), len);
    else
        pass("binary_payload");

    natsMsg_Destroy(m);
    natsSubscription_Destroy(sub);
}

/* A zero-length payload is delivered as a zero-length message. */
static void check_empty_payload(env_t *e)
{
    natsSubscription *sub = NULL;
    natsMsg          *m = NULL;
    natsStatus        s;

    s = natsConnection_SubscribeSync(&sub, e->nc, "interop.empty");
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(e->nc, WAIT_MS);
    if (s == NATS_OK)
        s = natsConnection_Publish(e->nc, "interop.empty", NULL, 0);
    if (s == NATS_OK)
        s = natsSubscription_NextMsg(&m, sub, WAIT_MS);

    if (s != NATS_OK)
        fail("empty_payload", "%s", why(s));
    else if (natsMsg_GetDataLength(m) != 0)
        fail("empty_payload", "got %d bytes", natsMsg_GetDataLength(m));
    else
        pass("empty_payload");

    natsMsg_Destroy(m);
    natsSubscription_Destroy(sub);
}

/* An asynchronous subscription receives exactly the published messages. */
static void check_async_subscribe(env_t *e)
{
    const int         want = 20;
    counter_t         c;
    tally_t           t = { &c, 0 };
    natsSubscription *sub = NULL;
    natsStatus        s;
    int               got = 0;

    counter_init(&c, "async-");
    s = natsConnection_Subscribe(&sub, e->nc, "interop.async", on_tally, &t);
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(e->nc, WAIT_MS);
    if (s == NATS_OK)
        s = publish_n(e->nc, "interop.async", "async-payload", want);
    if (s == NATS_OK)
    {
        got = counter_wait(&c, want, WAIT_MS);
        nats_Sleep(QUIET_MS);
        got = counter_total(&c);
    }

    if (s != NATS_OK)
        fail("async_subscribe", "%s", why(s));
    else if (got != want)
        fail("async_subscribe", "received %d messages, want %d", got, want);
    else if (c.bad != 0)
        fail("async_subscribe", "%d messages had a wrong payload", c.bad);
    else
        pass("async_subscribe");

    /* Unsubscribe first so no callback can run while the counter is freed. */
    natsSubscription_Unsubscribe(sub);
    natsConnection_FlushTimeout(e->nc, WAIT_MS);
    natsSubscription_Destroy(sub);
    counter_free(&c);
}

/* `*` matches exactly one token, `>` one or more trailing tokens. */
static void check_wildcards(env_t *e)
{
    static const char *subjects[] = {
        "interop.wc", "interop.wc.a", "interop.wc.b", "interop.wc.a.b", "interop.other.a",
    };
    natsSubscription *star = NULL, *gt = NULL;
    char              got[512];
    natsStatus        s;
    size_t            i;

    s = natsConnection_SubscribeSync(&star, e->nc, "interop.wc.*");
    if (s == NATS_OK)
        s = natsConnection_SubscribeSync(&gt, e->nc, "interop.wc.>");
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(e->nc, WAIT_MS);
    for (i = 0; s == NATS_OK && i < sizeof(subjects) / sizeof(subjects[0]); i++)
        s = natsConnection_PublishString(e->nc, subjects[i], "wc");
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(e->nc, WAIT_MS);

    if (s != NATS_OK)
    {
        fail("wildcard_star", "%s", why(s));
        fail("wildcard_gt", "%s", why(s));
    }
    else
    {
        drain_subjects(star, got, sizeof(got), QUIET_MS * 3);
        if (strcmp(got, "interop.wc.a,interop.wc.b") == 0)
            pass("wildcard_star");
        else
            fail("wildcard_star", "got [%s], want [interop.wc.a,interop.wc.b]", got);

        drain_subjects(gt, got, sizeof(got), QUIET_MS * 3);
        if (strcmp(got, "interop.wc.a,interop.wc.b,interop.wc.a.b") == 0)
            pass("wildcard_gt");
        else
            fail("wildcard_gt", "got [%s], want [interop.wc.a,interop.wc.b,interop.wc.a.b]", got);
    }

    natsSubscription_Destroy(star);
    natsSubscription_Destroy(gt);
}

/* Two queue subscribers (on different connections) in one group share the
 * messages: each delivered exactly once in total. A plain subscriber on the
 * same subject still receives every message. */
static void check_queue_group(env_t *e)
{
    const int         want = 100;
    counter_t         q, plain;
    tally_t           ta = { &q, 0 }, tb = { &q, 1 }, tp = { &plain, 0 };
    natsSubscription *qa = NULL, *qb = NULL, *ps = NULL;
    natsStatus        s;
    int               total = 0, ptotal = 0;

    counter_init(&q, "work");
    counter_init(&plain, "work");
    s = natsConnection_QueueSubscribe(&qa, e->nc, "interop.queue", "workers", on_tally, &ta);
    if (s == NATS_OK)
        s = natsConnection_QueueSubscribe(&qb, e->nc2, "interop.queue", "workers", on_tally, &tb);
    if (s == NATS_OK)
        s = natsConnection_Subscribe(&ps, e->nc2, "interop.queue", on_tally, &tp);
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(e->nc2, WAIT_MS);
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(e->nc, WAIT_MS);
    if (s == NATS_OK)
        s = publish_n(e->nc, "interop.queue", "work", want);
    if (s == NATS_OK)
    {
        counter_wait(&q, want, WAIT_MS);
        counter_wait(&plain, want, WAIT_MS);
        nats_Sleep(QUIET_MS);
        total = counter_total(&q);
        ptotal = counter_total(&plain);
    }

    if (s != NATS_OK)
    {
        fail("queue_group", "%s", why(s));
        fail("queue_distribution", "%s", why(s));
    }
    else
    {
        if (total != want)
            fail("queue_group", "group received %d messages (%d + %d), want exactly %d",
                 total, q.per[0], q.per[1], want);
        else if (ptotal != want)
            fail("queue_group", "plain subscriber received %d messages, want %d", ptotal, want);
        else if (q.bad != 0 || plain.bad != 0)
            fail("queue_group", "wrong payloads");
        else
            pass("queue_group");

        if (q.per[0] > 0 && q.per[1] > 0)
            pass("queue_distribution");
        else
            fail("queue_distribution", "one member got nothing (%d / %d)", q.per[0], q.per[1]);
    }

    natsSubscription_Unsubscribe(qa);
    natsSubscription_Unsubscribe(qb);
    natsSubscription_Unsubscribe(ps);
    natsConnection_FlushTimeout(e->nc, WAIT_MS);
    natsConnection_FlushTimeout(e->nc2, WAIT_MS);
    natsSubscription_Destroy(qa);
    natsSubscription_Destroy(qb);
    natsSubscription_Destroy(ps);
    counter_free(&q);
    counter_free(&plain);
}

/* A service on the second connection answers requests from the first. */
static void check_request_reply(env_t *e)
{
    static const char *questions[] = { "ping", "second", "third" };
    natsSubscription  *svc = NULL;
    natsMsg           *reply = NULL;
    natsStatus         s;
    size_t             i;

    s = natsConnection_Subscribe(&svc, e->nc2, "interop.service", on_request, NULL);
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(e->nc2, WAIT_MS);
    if (s != NATS_OK)
    {
        fail("request_reply", "service subscribe: %s", why(s));
        natsSubscription_Destroy(svc);
        return;
    }

    /* Several requests, to exercise the client's shared reply subscription. */
    for (i = 0; i < sizeof(questions) / sizeof(questions[0]); i++)
    {
        char want[64];

        snprintf(want, sizeof(want), "re:%s", questions[i]);
        s = natsConnection_RequestString(&reply, e->nc, "interop.service", questions[i], WAIT_MS);
        if (s != NATS_OK)
        {
            fail("request_reply", "request %zu: %s", i + 1, why(s));
            break;
        }
        if (natsMsg_GetDataLength(reply) != (int) strlen(want)
            || memcmp(natsMsg_GetData(reply), want, strlen(want)) != 0)
        {
            fail("request_reply", "request %zu answered '%.*s', want '%s'", i + 1,
                 natsMsg_GetDataLength(reply), natsMsg_GetData(reply), want);
            s = NATS_ERR;
            break;
        }
        natsMsg_Destroy(reply);
        reply = NULL;
    }
    if (s == NATS_OK)
        pass("request_reply");

    natsMsg_Destroy(reply);
    natsSubscription_Unsubscribe(svc);
    natsConnection_FlushTimeout(e->nc2, WAIT_MS);
    natsSubscription_Destroy(svc);
}

/* After UNSUB the server sends nothing more to that subscription. Uses its
 * own connection so the inMsgs statistic reflects only this subscription. */
static void check_unsubscribe(env_t *e)
{
    natsConnection   *nc = NULL;
    natsSubscription *sub = NULL;
    natsMsg          *m = NULL;
    natsStatus        s;
    uint64_t          before = 0, after = 0;

    s = connect_to(&nc, e->url, CONN_NAME "-unsub");
    if (s == NATS_OK)
        s = natsConnection_SubscribeSync(&sub, nc, "interop.unsub");
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(nc, WAIT_MS);
    if (s == NATS_OK)
        s = publish_n(e->nc, "interop.unsub", "before", 1);
    if (s == NATS_OK)
        s = natsSubscription_NextMsg(&m, sub, WAIT_MS);
    natsMsg_Destroy(m);
    if (s != NATS_OK)
    {
        fail("unsubscribe", "first message not received: %s", why(s));
        goto done;
    }

    s = natsSubscription_Unsubscribe(sub);
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(nc, WAIT_MS); /* the server has seen UNSUB */
    before = in_msgs(nc);
    if (s == NATS_OK)
        s = publish_n(e->nc, "interop.unsub", "after", 5);
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(nc, WAIT_MS); /* anything routed to nc is in by now */
    after = in_msgs(nc);

    if (s != NATS_OK)
        fail("unsubscribe", "%s", why(s));
    else if (after != before)
        fail("unsubscribe", "server sent %llu messages after UNSUB", (unsigned long long) (after - before));
    else
        pass("unsubscribe");

done:
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

/* UNSUB <sid> 3: exactly three messages are delivered, by the server and by
 * the library, out of five published. */
static void check_auto_unsubscribe(env_t *e)
{
    natsConnection   *nc = NULL;
    natsSubscription *sub = NULL;
    natsMsg          *m = NULL;
    natsStatus        s;
    uint64_t          before = 0, sent = 0;
    int               got = 0;

    s = connect_to(&nc, e->url, CONN_NAME "-auto");
    if (s == NATS_OK)
        s = natsConnection_SubscribeSync(&sub, nc, "interop.auto");
    if (s == NATS_OK)
        s = natsSubscription_AutoUnsubscribe(sub, 3);
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(nc, WAIT_MS);
    before = in_msgs(nc);
    if (s == NATS_OK)
        s = publish_n(e->nc, "interop.auto", "auto", 5);
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(nc, WAIT_MS);
    if (s != NATS_OK)
    {
        fail("auto_unsubscribe", "%s", why(s));
        goto done;
    }

    while (got < 5 && natsSubscription_NextMsg(&m, sub, got < 3 ? WAIT_MS : QUIET_MS) == NATS_OK)
    {
        natsMsg_Destroy(m);
        m = NULL;
        got++;
    }
    sent = in_msgs(nc) - before;

    if (got != 3)
        fail("auto_unsubscribe", "library delivered %d messages, want 3", got);
    else if (sent != 3)
        fail("auto_unsubscribe", "server sent %llu messages, want 3", (unsigned long long) sent);
    else
        pass("auto_unsubscribe");

done:
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

/* HPUB/HMSG round trip: single and multi-valued headers plus the body. */
static void check_headers(env_t *e)
{
    natsSubscription *sub = NULL;
    natsMsg          *out = NULL, *in = NULL;
    const char       *v = NULL;
    const char      **vals = NULL;
    int               nvals = 0;
    natsStatus        s;

    s = natsConnection_SubscribeSync(&sub, e->nc, "interop.headers");
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(e->nc, WAIT_MS);
    if (s == NATS_OK)
        s = natsMsg_Create(&out, "interop.headers", NULL, "body", 4);
    if (s == NATS_OK)
        s = natsMsgHeader_Set(out, "X-Interop", "tsnats");
    if (s == NATS_OK)
        s = natsMsgHeader_Add(out, "X-Multi", "one");
    if (s == NATS_OK)
        s = natsMsgHeader_Add(out, "X-Multi", "two");
    if (s == NATS_OK)
        s = natsConnection_PublishMsg(e->nc, out);
    if (s == NATS_OK)
        s = natsSubscription_NextMsg(&in, sub, WAIT_MS);
    if (s != NATS_OK)
    {
        fail("headers", "%s", why(s));
        goto done;
    }

    if (natsMsg_GetDataLength(in) != 4 || memcmp(natsMsg_GetData(in), "body", 4) != 0)
        fail("headers", "body '%.*s', want 'body'", natsMsg_GetDataLength(in), natsMsg_GetData(in));
    else if ((s = natsMsgHeader_Get(in, "X-Interop", &v)) != NATS_OK || strcmp(v, "tsnats") != 0)
        fail("headers", "X-Interop: %s", s != NATS_OK ? why(s) : v);
    else if ((s = natsMsgHeader_Values(in, "X-Multi", &vals, &nvals)) != NATS_OK)
        fail("headers", "X-Multi: %s", why(s));
    else if (nvals != 2 || strcmp(vals[0], "one") != 0 || strcmp(vals[1], "two") != 0)
        fail("headers", "X-Multi has %d values, want [one two]", nvals);
    else
        pass("headers");

done:
    free((void *) vals);
    natsMsg_Destroy(out);
    natsMsg_Destroy(in);
    natsSubscription_Destroy(sub);
}

/* A request nobody listens to fails fast with NATS_NO_RESPONDERS (the server
 * answers with a 503 status message) rather than timing out. */
static void check_no_responders(env_t *e)
{
    natsMsg   *reply = NULL;
    int64_t    start = nats_Now();
    natsStatus s = natsConnection_RequestString(&reply, e->nc, "interop.nobody.home", "anyone?", WAIT_MS);
    int64_t    took = nats_Now() - start;

    if (s == NATS_NO_RESPONDERS)
        pass("no_responders");
    else
        fail("no_responders", "got %s after %lld ms, want NATS_NO_RESPONDERS",
             why(s), (long long) took);
    natsMsg_Destroy(reply);
}

static void check_close(env_t *e)
{
    natsConnStatus st;

    natsConnection_Close(e->nc);
    st = natsConnection_Status(e->nc);
    if (st == NATS_CONN_STATUS_CLOSED)
        pass("close");
    else
        fail("close", "status is %d, want %d", (int) st, (int) NATS_CONN_STATUS_CLOSED);
}

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    env_t      e = { NULL, NULL, NULL };
    natsStatus s;

    if (argc != 2)
    {
        fprintf(stderr, "usage: %s nats://host:port\n", argv[0]);
        return 2;
    }
    e.url = argv[1];

    start_watchdog();

    s = connect_to(&e.nc, e.url, CONN_NAME);
    if (s == NATS_OK)
        s = connect_to(&e.nc2, e.url, CONN_NAME "-peer");
    if (s != NATS_OK)
    {
        fail("connect", "%s", why(s));
        natsConnection_Destroy(e.nc);
        nats_Close();
        return 1;
    }
    pass("connect");

    check_status_connected(&e);
    check_server_info(&e);
    check_publish(&e);
    check_flush(&e);
    check_sync_subscribe(&e);
    check_binary_payload(&e);
    check_empty_payload(&e);
    check_async_subscribe(&e);
    check_wildcards(&e);
    check_queue_group(&e);
    check_request_reply(&e);
    check_unsubscribe(&e);
    check_auto_unsubscribe(&e);
    check_headers(&e);
    check_no_responders(&e);
    check_close(&e);

    natsConnection_Destroy(e.nc);
    natsConnection_Close(e.nc2);
    natsConnection_Destroy(e.nc2);
    nats_CloseAndWait(WAIT_MS);

    printf("# %d check(s) failed\n", failures);
    return failures == 0 ? 0 : 1;
}
