/*
 * The C client (libnats) against a server: its KV on delete and purge markers, and an ordered consumer over
 * a 100k-message stream. Each check prints one JSON line {"check","ok","err"}, as tests/compat/natsgo/main.go
 * does, so tests/compat/libnats_test.ts can run it against natsedge and against nats-server 2.9.10.
 * Usage: checks <url>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nats/nats.h>

static void report(const char *check, int ok, const char *err)
{
    printf("{\"check\":\"%s\",\"ok\":%s,\"err\":\"%s\"}\n", check, ok ? "true" : "false", err);
    fflush(stdout);
}

static const char *text(natsStatus s)
{
    return s == NATS_OK ? "" : natsStatus_GetText(s);
}

/* The delete and purge markers through KV history: libnats reads each entry's KV-Operation header. */
static void checkHistory(kvStore *kv)
{
    kvEntryList list;
    natsStatus s = kvStore_History(&list, kv, "deleted", NULL);
    int ok = s == NATS_OK && list.Count == 2 && kvEntry_Operation(list.Entries[0]) == kvOp_Put &&
             kvEntry_Operation(list.Entries[1]) == kvOp_Delete;
    report("history_shows_delete_marker", ok, s == NATS_OK ? (ok ? "" : "unexpected history") : text(s));
    if (s == NATS_OK) kvEntryList_Destroy(&list);

    s = kvStore_History(&list, kv, "purged", NULL);
    ok = s == NATS_OK && list.Count == 1 && kvEntry_Operation(list.Entries[0]) == kvOp_Purge;
    report("history_shows_purge_marker", ok, s == NATS_OK ? (ok ? "" : "unexpected history") : text(s));
    if (s == NATS_OK) kvEntryList_Destroy(&list);
}

/* STREAM.MSG.GET of the markers (libnats decodes hdrs and data from the JSON answer itself). */
static void checkMsgGet(jsCtx *js, uint64_t deleteRev)
{
    natsMsg *msg = NULL;
    jsErrCode jerr = 0;
    const char *op = NULL;
    natsStatus s = js_GetMsg(&msg, js, "KV_C", deleteRev, NULL, &jerr);
    if (s == NATS_OK) s = natsMsgHeader_Get(msg, "KV-Operation", &op);
    int ok = s == NATS_OK && op != NULL && strcmp(op, "DEL") == 0 && natsMsg_GetDataLength(msg) == 0;
    report("msg_get_delete_marker", ok, s == NATS_OK ? (ok ? "" : "unexpected marker") : text(s));
    natsMsg_Destroy(msg);

    msg = NULL;
    op = NULL;
    s = js_GetLastMsg(&msg, js, "KV_C", "$KV.C.purged", NULL, &jerr);
    if (s == NATS_OK) s = natsMsgHeader_Get(msg, "KV-Operation", &op);
    ok = s == NATS_OK && op != NULL && strcmp(op, "PURGE") == 0 && natsMsg_GetDataLength(msg) == 0;
    report("msg_get_purge_marker", ok, s == NATS_OK ? (ok ? "" : "unexpected marker") : text(s));
    natsMsg_Destroy(msg);
}

/*
 * 100k messages through one ordered consumer (push, flow control, idle heartbeats): in order to the end, and
 * never recreated, which a missed heartbeat or an unanswered flow control request would make libnats do.
 */
static void checkOrdered(natsConnection *nc, jsCtx *js)
{
    enum { TOTAL = 100000 };
    jsStreamConfig cfg;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    const char *subjects[] = {"ord.>"};
    char data[16], subj[16], err[128] = "";
    jsStreamConfig_Init(&cfg);
    cfg.Name = "ORD";
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    natsStatus s = js_AddStream(&si, js, &cfg, NULL, &jerr);
    jsStreamInfo_Destroy(si);
    for (int i = 0; s == NATS_OK && i < TOTAL; i++) {
        snprintf(subj, sizeof(subj), "ord.%d", i % 7);
        snprintf(data, sizeof(data), "%d", i);
        s = natsConnection_PublishString(nc, subj, data);
        if (s == NATS_OK && i % 1000 == 999) s = natsConnection_FlushTimeout(nc, 10000);
    }
    /* Core publishes: stored once the stream counts them all. */
    for (uint64_t msgs = 0; s == NATS_OK && msgs < TOTAL;) {
        si = NULL;
        s = js_GetStreamInfo(&si, js, "ORD", NULL, &jerr);
        if (s == NATS_OK) msgs = si->State.Msgs;
        jsStreamInfo_Destroy(si);
    }
    natsSubscription *sub = NULL;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Ordered = true;
    if (s == NATS_OK) s = js_SubscribeSync(&sub, js, "ord.>", NULL, &so, &jerr);
    char *first = NULL;
    for (int i = 1; s == NATS_OK && i <= TOTAL && err[0] == 0; i++) {
        natsMsg *msg = NULL;
        jsMsgMetaData *meta = NULL;
        s = natsSubscription_NextMsg(&msg, sub, 10000);
        if (s == NATS_OK) s = natsMsg_GetMetaData(&meta, msg);
        if (s == NATS_OK) {
            snprintf(data, sizeof(data), "%d", i - 1);
            if (meta->Sequence.Stream != (uint64_t)i || strcmp(natsMsg_GetData(msg), data) != 0) {
                snprintf(err, sizeof(err), "position %d: stream seq %llu", i, (unsigned long long)meta->Sequence.Stream);
            } else if (first == NULL) {
                first = strdup(meta->Consumer);
            } else if (strcmp(first, meta->Consumer) != 0) {
                snprintf(err, sizeof(err), "consumer recreated at %d (%s, then %s)", i, first, meta->Consumer);
            }
        }
        jsMsgMetaData_Destroy(meta);
        natsMsg_Destroy(msg);
    }
    report("ordered_consumer_100k", s == NATS_OK && err[0] == 0, s != NATS_OK ? text(s) : err);
    free(first);
    natsSubscription_Destroy(sub);
}

int main(int argc, char **argv)
{
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    kvStore *kv = NULL;
    kvConfig cfg;
    kvEntry *e = NULL;
    uint64_t rev = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: checks <url>\n");
        return 2;
    }
    natsStatus s = natsConnection_ConnectTo(&nc, argv[1]);
    if (s == NATS_OK) s = natsConnection_JetStream(&js, nc, NULL);
    if (s == NATS_OK) {
        kvConfig_Init(&cfg);
        cfg.Bucket = "C";
        cfg.History = 5;
        s = js_CreateKeyValue(&kv, js, &cfg);
    }
    report("create_bucket", s == NATS_OK, text(s));
    if (s != NATS_OK) return 1;

    s = kvStore_PutString(&rev, kv, "kept", "v1");
    if (s == NATS_OK) s = kvStore_Get(&e, kv, "kept");
    int ok = s == NATS_OK && kvEntry_ValueLen(e) == 2 && kvEntry_Revision(e) == rev;
    report("put_get", ok, text(s));
    kvEntry_Destroy(e);
    e = NULL;

    s = kvStore_PutString(&rev, kv, "deleted", "v1");
    if (s == NATS_OK) s = kvStore_Delete(kv, "deleted");
    natsStatus g = kvStore_Get(&e, kv, "deleted");
    report("get_after_delete_is_not_found", s == NATS_OK && g == NATS_NOT_FOUND, s != NATS_OK ? text(s) : g == NATS_NOT_FOUND ? "" : text(g));
    kvEntry_Destroy(e);
    e = NULL;

    s = kvStore_PutString(NULL, kv, "purged", "v1");
    if (s == NATS_OK) s = kvStore_PutString(NULL, kv, "purged", "v2");
    if (s == NATS_OK) s = kvStore_Purge(kv, "purged", NULL);
    g = kvStore_Get(&e, kv, "purged");
    report("get_after_purge_is_not_found", s == NATS_OK && g == NATS_NOT_FOUND, s != NATS_OK ? text(s) : g == NATS_NOT_FOUND ? "" : text(g));
    kvEntry_Destroy(e);
    e = NULL;

    checkHistory(kv);
    checkMsgGet(js, rev + 1);

    kvKeysList keys;
    s = kvStore_Keys(&keys, kv, NULL);
    ok = s == NATS_OK && keys.Count == 1 && strcmp(keys.Keys[0], "kept") == 0;
    report("keys_skip_markers", ok, s == NATS_OK ? (ok ? "" : "unexpected keys") : text(s));
    if (s == NATS_OK) kvKeysList_Destroy(&keys);

    checkOrdered(nc, js);

    report("done", 1, "");
    kvStore_Destroy(kv);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return 0;
}
