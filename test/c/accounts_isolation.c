/*
 * accounts_isolation.c - account isolation checks with the official NATS C
 * client (Debian's libnats, 3.4.x).
 *
 * Usage:  accounts_isolation 127.0.0.1:4222
 *
 * The server must run the configuration of test/helpers/accounts.js:
 *   account A: users a1/pa1 and a2/pa2, account B: users b1/pb1 and b2/pb2,
 *   the global account $G: user g1/pg1, and no_auth_user a2 (so a client that
 *   sends no credentials lands in A).
 *
 * Every check prints exactly one line, "ok <name>" or "FAIL <name>: <reason>";
 * the exit status is 0 only when every check passed. Messages are counted
 * after a flush of every publisher and then of every subscriber: once a
 * subscriber's PONG has arrived, everything the server routed to it before
 * has arrived too, so "nothing crossed" is a measured zero, not a timeout.
 * A watchdog alarm stops the run if anything still hangs.
 *
 * Build:  gcc -std=c11 -Wall -Wextra -O1 -o accounts_isolation accounts_isolation.c -lnats -lpthread
 */
#define _POSIX_C_SOURCE 200809L

#include "check.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_MSGS 10
#define N_QUEUE 40

/* The connections, one per user, plus one without credentials. */
enum { A1, A2, B1, B2, G1, ANON, NCONN };

static const char *const user_of[NCONN] = {"a1", "a2", "b1", "b2", "g1", NULL};
static const char *const pass_of[NCONN] = {"pa1", "pa2", "pb1", "pb2", "pg1", NULL};
/* The account each connection is expected to be in. */
static const char acct_of[NCONN] = {'A', 'A', 'B', 'B', 'G', 'A'};

static natsConnection *nc[NCONN];

static natsStatus connect_as(const char *hostport, int i)
{
    char url[256];

    if (user_of[i] != NULL)
        snprintf(url, sizeof(url), "nats://%s:%s@%s", user_of[i], pass_of[i], hostport);
    else
        snprintf(url, sizeof(url), "nats://%s", hostport);
    return connect_to(&nc[i], url, NULL);
}

/* Flush the given connections in order (publishers first, then subscribers). */
static bool flush_all(const char *check, const int *which, int n)
{
    for (int k = 0; k < n; k++)
    {
        natsStatus s = natsConnection_FlushTimeout(nc[which[k]], WAIT_MS);
        if (s != NATS_OK)
        {
            fail(check, "flush of %s: %s", user_of[which[k]] ? user_of[which[k]] : "anonymous",
                 natsStatus_GetText(s));
            return false;
        }
    }
    return true;
}

static bool flush_everyone(const char *check)
{
    static const int all[NCONN] = {A1, A2, B1, B2, G1, ANON};
    /* twice: the first round settles every publish, the second every delivery */
    return flush_all(check, all, NCONN) && flush_all(check, all, NCONN);
}

/*
 * Take every message already delivered to a synchronous subscription and
 * count them by the account letter that starts their payload (A, B, G).
 */
typedef struct
{
    int a, b, g, other;
} tally_t;

static tally_t drain(natsSubscription *sub)
{
    tally_t  t = {0, 0, 0, 0};
    natsMsg *m = NULL;

    /* a short timeout: everything was flushed already, this only empties the queue */
    while (natsSubscription_NextMsg(&m, sub, 20) == NATS_OK)
    {
        const char *d = natsMsg_GetData(m);
        int         len = natsMsg_GetDataLength(m);
        char        c = len > 0 ? d[0] : '?';
        if (c == 'A')
            t.a++;
        else if (c == 'B')
            t.b++;
        else if (c == 'G')
            t.g++;
        else
            t.other++;
        natsMsg_Destroy(m);
    }
    return t;
}

/* Expect exactly `want` messages of the connection's own account and no other. */
static bool expect_only(const char *check, const char *who, tally_t t, char acct, int want)
{
    int own = acct == 'A' ? t.a : acct == 'B' ? t.b : t.g;
    int foreign = t.a + t.b + t.g + t.other - own;
    if (own != want || foreign != 0)
    {
        fail(check, "%s (account %c) got A=%d B=%d G=%d other=%d, want %d of its own and nothing else", who,
             acct == 'G' ? 'G' : acct, t.a, t.b, t.g, t.other, want);
        return false;
    }
    return true;
}

static void publish_n(int i, const char *subject, int n)
{
    char payload[32];
    for (int k = 0; k < n; k++)
    {
        snprintf(payload, sizeof(payload), "%c-%s-%d", acct_of[i], user_of[i] ? user_of[i] : "anon", k);
        natsConnection_PublishString(nc[i], subject, payload);
    }
}

/* ------------------------------------------------------------------------ */

/* Subscribers in A, B and $G on the same subject; a publisher in each. */
static void check_subject(const char *check, const char *sub_subject, const char *pub_subject)
{
    natsSubscription *sa = NULL, *sb = NULL, *sg = NULL;
    natsStatus        s;
    bool              ok = true;

    s = natsConnection_SubscribeSync(&sa, nc[A1], sub_subject);
    if (s == NATS_OK)
        s = natsConnection_SubscribeSync(&sb, nc[B1], sub_subject);
    if (s == NATS_OK)
        s = natsConnection_SubscribeSync(&sg, nc[G1], sub_subject);
    if (s != NATS_OK)
    {
        fail(check, "subscribe %s: %s", sub_subject, natsStatus_GetText(s));
        goto done;
    }
    if (!flush_everyone(check))
        goto done;
    publish_n(A2, pub_subject, N_MSGS);
    publish_n(B2, pub_subject, N_MSGS);
    publish_n(G1, pub_subject, N_MSGS);
    if (!flush_everyone(check))
        goto done;
    ok &= expect_only(check, "a1", drain(sa), 'A', N_MSGS);
    ok &= expect_only(check, "b1", drain(sb), 'B', N_MSGS);
    ok &= expect_only(check, "g1", drain(sg), 'G', N_MSGS);
    if (ok)
        pass(check);
done:
    natsSubscription_Destroy(sa);
    natsSubscription_Destroy(sb);
    natsSubscription_Destroy(sg);
}

/* Queue group "workers" on iso.work with two members in A and two in B. */
static void check_queue(void)
{
    const char *const check = "queue_group";
    natsSubscription *q[4] = {NULL, NULL, NULL, NULL};
    const int         member[4] = {A1, A2, B1, B2};
    natsStatus        s = NATS_OK;
    tally_t           t[4];
    bool              ok = true;

    for (int k = 0; k < 4 && s == NATS_OK; k++)
        s = natsConnection_QueueSubscribeSync(&q[k], nc[member[k]], "iso.work", "workers");
    if (s != NATS_OK)
    {
        fail(check, "queue subscribe: %s", natsStatus_GetText(s));
        goto done;
    }
    if (!flush_everyone(check))
        goto done;
    /* one publisher in each account; each account's group gets every message once */
    publish_n(ANON, "iso.work", N_QUEUE);
    publish_n(B2, "iso.work", N_QUEUE);
    publish_n(G1, "iso.work", N_QUEUE);
    if (!flush_everyone(check))
        goto done;
    for (int k = 0; k < 4; k++)
        t[k] = drain(q[k]);
    {
        tally_t ta = {t[0].a + t[1].a, t[0].b + t[1].b, t[0].g + t[1].g, t[0].other + t[1].other};
        tally_t tb = {t[2].a + t[3].a, t[2].b + t[3].b, t[2].g + t[3].g, t[2].other + t[3].other};
        ok &= expect_only(check, "group in A", ta, 'A', N_QUEUE);
        ok &= expect_only(check, "group in B", tb, 'B', N_QUEUE);
    }
    if (ok)
        pass(check);
done:
    for (int k = 0; k < 4; k++)
        natsSubscription_Destroy(q[k]);
}

static void on_request(natsConnection *c, natsSubscription *sub, natsMsg *m, void *closure)
{
    (void) sub;
    if (natsMsg_GetReply(m) != NULL)
        natsConnection_PublishString(c, natsMsg_GetReply(m), (const char *) closure);
    natsMsg_Destroy(m);
}

/* A service in A answers A's requests; B and $G find no responders. */
static void check_request(void)
{
    const char *const check = "request_reply";
    natsSubscription *svc = NULL;
    natsMsg          *reply = NULL;
    natsStatus        s;
    bool              ok = true;
    const int         askers[4] = {A2, ANON, B2, G1};

    s = natsConnection_Subscribe(&svc, nc[A1], "iso.svc", on_request, (void *) "from-A");
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(nc[A1], WAIT_MS);
    if (s != NATS_OK)
    {
        fail(check, "service subscribe: %s", natsStatus_GetText(s));
        goto done;
    }
    for (int k = 0; k < 4; k++)
    {
        int i = askers[k];
        s = natsConnection_RequestString(&reply, nc[i], "iso.svc", "ping", WAIT_MS);
        const char *who = user_of[i] ? user_of[i] : "anonymous";
        if (acct_of[i] == 'A')
        {
            if (s != NATS_OK)
            {
                fail(check, "%s (account A): %s", who, natsStatus_GetText(s));
                ok = false;
            }
            else if (strcmp(natsMsg_GetData(reply), "from-A") != 0)
            {
                fail(check, "%s (account A): reply %s", who, natsMsg_GetData(reply));
                ok = false;
            }
        }
        else if (s != NATS_NO_RESPONDERS)
        {
            fail(check, "%s (account %c): want no responders, got %s", who, acct_of[i], natsStatus_GetText(s));
            ok = false;
        }
        natsMsg_Destroy(reply);
        reply = NULL;
    }
    if (ok)
        pass(check);
done:
    natsSubscription_Destroy(svc);
}

/* The client without credentials is no_auth_user a2: in A, with A's traffic only. */
static void check_no_auth_user(void)
{
    const char *const check = "no_auth_user";
    natsSubscription *sub = NULL;
    natsStatus        s;

    s = natsConnection_SubscribeSync(&sub, nc[ANON], "iso.nau");
    if (s != NATS_OK)
    {
        fail(check, "subscribe: %s", natsStatus_GetText(s));
        return;
    }
    if (flush_everyone(check))
    {
        publish_n(A1, "iso.nau", N_MSGS);
        publish_n(B1, "iso.nau", N_MSGS);
        publish_n(G1, "iso.nau", N_MSGS);
        if (flush_everyone(check) && expect_only(check, "anonymous", drain(sub), 'A', N_MSGS))
            pass(check);
    }
    natsSubscription_Destroy(sub);
}

int main(int argc, char **argv)
{
    natsStatus s;
    bool       connected = true;

    if (argc != 2)
    {
        fprintf(stderr, "usage: %s host:port\n", argv[0]);
        return 2;
    }
    start_watchdog();

    for (int i = 0; i < NCONN; i++)
    {
        s = connect_as(argv[1], i);
        if (s != NATS_OK)
        {
            fail("connect", "%s: %s", user_of[i] ? user_of[i] : "anonymous", natsStatus_GetText(s));
            connected = false;
        }
    }
    if (!connected)
        return 1;
    pass("connect");

    check_subject("same_subject", "iso.foo", "iso.foo");
    check_subject("wildcard_star", "iso.*", "iso.bar");
    check_subject("wildcard_gt", ">", "iso.any.deep.subject");
    check_queue();
    check_request();
    check_no_auth_user();

    for (int i = 0; i < NCONN; i++)
        natsConnection_Destroy(nc[i]);
    nats_Close();
    pass("close");
    return failures == 0 ? 0 : 1;
}
