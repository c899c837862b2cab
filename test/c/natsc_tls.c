/*
 * nats.c (Debian's libnats) against a TLS or NKey server: prints "ok <check>" or
 * "FAIL <check>: <reason>" and exits non-zero on a failure. Driven by test/interop-natsc-tls.test.js.
 *
 *   natsc_tls tls <url> <ca> [<cert> <key>]          connect over TLS, publish and receive
 *   natsc_tls tls_refused <url> <ca> [<cert> <key>]  the connection must be refused
 *   natsc_tls nkey <url> <public key> <seed file>    log in as an nkey user, publish and receive
 */
#include <nats/nats.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *check, const char *what, natsStatus s)
{
    printf("FAIL %s: %s: %s\n", check, what, natsStatus_GetText(s));
    return 1;
}

static int roundtrip(const char *check, natsConnection *nc)
{
    natsSubscription *sub = NULL;
    natsMsg *msg = NULL;
    natsStatus s = natsConnection_SubscribeSync(&sub, nc, "natsc.tls");
    if (s == NATS_OK) s = natsConnection_PublishString(nc, "natsc.tls", "hello over tls");
    if (s == NATS_OK) s = natsSubscription_NextMsg(&msg, sub, 5000);
    if (s != NATS_OK) return fail(check, "round trip", s);
    int ok = strcmp(natsMsg_GetData(msg), "hello over tls") == 0;
    natsMsg_Destroy(msg);
    natsSubscription_Destroy(sub);
    if (!ok) {
        printf("FAIL %s: wrong payload\n", check);
        return 1;
    }
    printf("ok %s\n", check);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: natsc_tls tls|tls_refused|nkey <url> ...\n");
        return 2;
    }
    alarm(25);
    const char *mode = argv[1];
    natsOptions *opts = NULL;
    natsConnection *nc = NULL;
    natsStatus s = natsOptions_Create(&opts);
    if (s == NATS_OK) s = natsOptions_SetURL(opts, argv[2]);
    if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 5000);
    if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, false);
    int rc;
    if (strcmp(mode, "nkey") == 0) {
        if (s == NATS_OK) s = natsOptions_SetNKeyFromSeed(opts, argv[3], argv[4]);
        if (s != NATS_OK) return fail("nkey_roundtrip", "options", s);
        s = natsConnection_Connect(&nc, opts);
        if (s != NATS_OK) return fail("nkey_roundtrip", "connect", s);
        rc = roundtrip("nkey_roundtrip", nc);
    } else {
        const char *check = strcmp(mode, "tls") == 0 ? "tls_roundtrip" : "tls_refused";
        if (s == NATS_OK) s = natsOptions_SetSecure(opts, true);
        if (s == NATS_OK) s = natsOptions_LoadCATrustedCertificates(opts, argv[3]);
        if (s == NATS_OK && argc >= 6) s = natsOptions_LoadCertificatesChain(opts, argv[4], argv[5]);
        if (s != NATS_OK) return fail(check, "options", s);
        s = natsConnection_Connect(&nc, opts);
        if (strcmp(mode, "tls_refused") == 0) {
            if (s == NATS_OK) {
                printf("FAIL tls_refused: connected\n");
                rc = 1;
            } else {
                printf("ok tls_refused\n");
                rc = 0;
            }
        } else {
            if (s != NATS_OK) return fail(check, "connect", s);
            rc = roundtrip(check, nc);
        }
    }
    natsConnection_Destroy(nc);
    natsOptions_Destroy(opts);
    nats_Close();
    return rc;
}
