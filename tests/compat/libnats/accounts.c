/*
 * The C client (libnats) against a server running tests/compat/accounts_clients_test.ts's config: accounts A
 * and B, B importing A's stream and service. One JSON line {"check","ok","err"} per check, as checks.c does.
 * Usage: accounts <url-for-user-a> <url-for-user-b>
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

static void onRequest(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    (void)closure;
    char buf[64];
    snprintf(buf, sizeof(buf), "re:%.*s", natsMsg_GetDataLength(msg), natsMsg_GetData(msg));
    natsConnection_PublishString(nc, natsMsg_GetReply(msg), buf);
    natsMsg_Destroy(msg);
}

/* B publishes; A's subscriber on the same subject must not see it. */
static void checkIsolation(natsConnection *a, natsConnection *b)
{
    natsSubscription *sub = NULL;
    natsMsg *msg = NULL;
    natsStatus s = natsConnection_SubscribeSync(&sub, a, "iso.c");
    if (s == NATS_OK) s = natsConnection_Flush(a);
    if (s == NATS_OK) s = natsConnection_PublishString(b, "iso.c", "b");
    if (s == NATS_OK) s = natsConnection_PublishString(a, "iso.c", "a");
    if (s == NATS_OK) s = natsConnection_Flush(b);
    if (s == NATS_OK) s = natsSubscription_NextMsg(&msg, sub, 5000);
    int ok = s == NATS_OK && strcmp(natsMsg_GetData(msg), "a") == 0;
    report("isolation", ok, s == NATS_OK ? (ok ? "" : "A got B's message") : text(s));
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
    report("stream_import_prefix", ok, s == NATS_OK ? (ok ? "" : "wrong subject") : text(s));
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
    report("service_import_request", ok, s == NATS_OK ? (ok ? "" : "wrong reply") : text(s));
    natsMsg_Destroy(reply);
    natsSubscription_Destroy(svc);
}

int main(int argc, char **argv)
{
    natsConnection *a = NULL, *b = NULL;
    if (argc != 3) return 2;
    natsStatus s = natsConnection_ConnectTo(&a, argv[1]);
    if (s == NATS_OK) s = natsConnection_ConnectTo(&b, argv[2]);
    if (s != NATS_OK) {
        report("connect", 0, text(s));
        return 1;
    }
    checkIsolation(a, b);
    checkStreamImport(a, b);
    checkServiceImport(a, b);
    report("done", 1, "");
    natsConnection_Destroy(a);
    natsConnection_Destroy(b);
    nats_Close();
    return failed > 0 ? 1 : 0;
}
