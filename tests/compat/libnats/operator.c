/*
 * The C client (libnats) against a server in operator mode (tests/compat/operator_clients_test.ts): users of
 * JWT accounts A and B connect with natsOptions_SetUserCredentialsFromFiles, B imports A's stream (prefix
 * fromA) and service (as svc), and a user of an unknown account is refused. One JSON line
 * {"check","ok","err"} per check, as checks.c does.
 * Usage: operator <url> a.creds b.creds stranger.creds
 */
#include <stdio.h>
#include <string.h>
#include <nats/nats.h>

static int failed = 0;

static void report(const char *check, int ok, const char *err)
{
    if (!ok) failed++;
    printf("{\"check\":\"%s\",\"ok\":%s,\"err\":\"%s\"}\n", check, ok ? "true" : "false", err);
    fflush(stdout);
}

static const char *text(natsStatus s)
{
    return s == NATS_OK ? "" : natsStatus_GetText(s);
}

static natsStatus connectWith(natsConnection **nc, const char *url, const char *creds)
{
    natsOptions *opts = NULL;
    natsStatus s = natsOptions_Create(&opts);
    if (s == NATS_OK) s = natsOptions_SetURL(opts, url);
    if (s == NATS_OK) s = natsOptions_SetUserCredentialsFromFiles(opts, creds, NULL);
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, 0);
    if (s == NATS_OK) s = natsConnection_Connect(nc, opts);
    natsOptions_Destroy(opts);
    return s;
}

static void onRequest(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    (void)closure;
    char buf[64];
    snprintf(buf, sizeof(buf), "re:%.*s", natsMsg_GetDataLength(msg), natsMsg_GetData(msg));
    natsConnection_PublishString(nc, natsMsg_GetReply(msg), buf);
    natsMsg_Destroy(msg);
}

/* A publishes; B's subscriber on the same subject must only see B's own message. */
static void checkIsolation(natsConnection *a, natsConnection *b)
{
    natsSubscription *sub = NULL;
    natsMsg *msg = NULL;
    natsStatus s = natsConnection_SubscribeSync(&sub, b, "iso.c");
    if (s == NATS_OK) s = natsConnection_Flush(b);
    if (s == NATS_OK) s = natsConnection_PublishString(a, "iso.c", "a");
    if (s == NATS_OK) s = natsConnection_PublishString(b, "iso.c", "b");
    if (s == NATS_OK) s = natsConnection_Flush(a);
    if (s == NATS_OK) s = natsSubscription_NextMsg(&msg, sub, 5000);
    int ok = s == NATS_OK && strcmp(natsMsg_GetData(msg), "b") == 0;
    report("isolation", ok, s == NATS_OK ? (ok ? "" : "B got A's message") : text(s));
    natsMsg_Destroy(msg);
    natsSubscription_Destroy(sub);
}

static void checkStreamImport(natsConnection *a, natsConnection *b)
{
    natsSubscription *sub = NULL;
    natsMsg *msg = NULL;
    natsStatus s = natsConnection_SubscribeSync(&sub, b, "fromA.>");
    if (s == NATS_OK) s = natsConnection_Flush(b);
    if (s == NATS_OK) s = natsConnection_PublishString(a, "a.events.c", "e");
    if (s == NATS_OK) s = natsSubscription_NextMsg(&msg, sub, 5000);
    int ok = s == NATS_OK && strcmp(natsMsg_GetSubject(msg), "fromA.a.events.c") == 0;
    report("stream_import_prefix", ok, s == NATS_OK ? (ok ? "" : natsMsg_GetSubject(msg)) : text(s));
    natsMsg_Destroy(msg);
    natsSubscription_Destroy(sub);
}

static void checkServiceImport(natsConnection *a, natsConnection *b)
{
    natsSubscription *svc = NULL;
    natsMsg *reply = NULL;
    natsStatus s = natsConnection_Subscribe(&svc, a, "a.svc", onRequest, NULL);
    if (s == NATS_OK) s = natsConnection_Flush(a);
    if (s == NATS_OK) s = natsConnection_RequestString(&reply, b, "svc", "c", 5000);
    int ok = s == NATS_OK && strcmp(natsMsg_GetData(reply), "re:c") == 0;
    report("service_import_request", ok, s == NATS_OK ? (ok ? "" : natsMsg_GetData(reply)) : text(s));
    natsMsg_Destroy(reply);
    natsSubscription_Destroy(svc);
}

static void checkRefused(const char *url, const char *creds)
{
    natsConnection *nc = NULL;
    natsStatus s = connectWith(&nc, url, creds);
    const char *last = nats_GetLastError(NULL);
    int ok = s != NATS_OK && last != NULL && strstr(last, "Authorization Violation") != NULL;
    report("unknown_account_refused", ok, ok ? "" : (s == NATS_OK ? "connected" : last));
    natsConnection_Destroy(nc);
}

int main(int argc, char **argv)
{
    natsConnection *a = NULL, *b = NULL;
    if (argc != 5) return 2;
    natsStatus s = connectWith(&a, argv[1], argv[2]);
    if (s == NATS_OK) s = connectWith(&b, argv[1], argv[3]);
    if (s != NATS_OK) {
        report("connect", 0, text(s));
        return 1;
    }
    checkIsolation(a, b);
    checkStreamImport(a, b);
    checkServiceImport(a, b);
    checkRefused(argv[1], argv[4]);
    report("done", 1, "");
    natsConnection_Destroy(a);
    natsConnection_Destroy(b);
    nats_Close();
    return failed > 0 ? 1 : 0;
}
