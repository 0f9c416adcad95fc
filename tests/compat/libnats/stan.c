/*
 * The C client's NATS Streaming API (Debian's libnats, built with streaming) against natsedge: connect with a
 * cluster ID, publish with acks (synchronous and asynchronous), a durable subscription with manual acks that
 * resumes after a close with its unacknowledged messages flagged redelivered, start at a sequence and at the last
 * message, a queue group, and close. Each check prints one JSON line {"check","ok","err"}, as checks.c does,
 * for tests/compat/libnats_stan_test.ts.
 * Usage: stan <url> <cluster id>
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nats/nats.h>

#define MSGS 10
#define ASYNC_MSGS 500
#define WAIT_MS 5000

static void report(const char *check, int ok, const char *err)
{
    printf("{\"check\":\"%s\",\"ok\":%s,\"err\":\"%s\"}\n", check, ok ? "true" : "false", err);
    fflush(stdout);
}

static const char *text(natsStatus s)
{
    const char *last = nats_GetLastError(NULL);
    return s == NATS_OK ? "" : (last != NULL && last[0] != '\0' ? last : natsStatus_GetText(s));
}

/* What a subscription's handler saw, guarded by its mutex. */
typedef struct
{
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int count;
    int redelivered;
    uint64_t seqs[64];
    int manual; /* ack only sequences <= ackUpTo */
    uint64_t ackUpTo;
} seen_t;

static void seen_init(seen_t *s, int manual, uint64_t ackUpTo)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->manual = manual;
    s->ackUpTo = ackUpTo;
}

static void onMsg(stanConnection *sc, stanSubscription *sub, const char *channel, stanMsg *msg, void *closure)
{
    seen_t *s = closure;
    uint64_t seq = stanMsg_GetSequence(msg);
    if (s->manual && seq <= s->ackUpTo)
        stanSubscription_AckMsg(sub, msg);
    pthread_mutex_lock(&s->mu);
    if (s->count < 64)
        s->seqs[s->count] = seq;
    s->count++;
    if (stanMsg_IsRedelivered(msg))
        s->redelivered++;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
    stanMsg_Destroy(msg);
}

/* Waits until the handler has seen n messages; returns how many it saw. */
static int seen_wait(seen_t *s, int n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_MS / 1000;
    pthread_mutex_lock(&s->mu);
    while (s->count < n && pthread_cond_timedwait(&s->cond, &s->mu, &until) == 0)
        ;
    int got = s->count;
    pthread_mutex_unlock(&s->mu);
    return got;
}

static pthread_mutex_t ackMu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ackCond = PTHREAD_COND_INITIALIZER;
static int acked, ackErrors;

static void onAck(const char *guid, const char *error, void *closure)
{
    pthread_mutex_lock(&ackMu);
    acked++;
    if (error != NULL)
        ackErrors++;
    pthread_cond_broadcast(&ackCond);
    pthread_mutex_unlock(&ackMu);
}

static stanSubscription *durable(stanConnection *sc, seen_t *seen, natsStatus *s)
{
    stanSubOptions *so = NULL;
    stanSubscription *sub = NULL;
    *s = stanSubOptions_Create(&so);
    if (*s == NATS_OK)
        *s = stanSubOptions_SetDurableName(so, "c-durable");
    if (*s == NATS_OK)
        *s = stanSubOptions_DeliverAllAvailable(so);
    if (*s == NATS_OK)
        *s = stanSubOptions_SetManualAckMode(so, true);
    if (*s == NATS_OK)
        *s = stanSubOptions_SetMaxInflight(so, 64);
    if (*s == NATS_OK)
        *s = stanConnection_Subscribe(&sub, sc, "c.orders", onMsg, seen, so);
    stanSubOptions_Destroy(so);
    return sub;
}

int main(int argc, char **argv)
{
    if (argc < 3)
    {
        fprintf(stderr, "usage: stan <url> <cluster id>\n");
        return 2;
    }
    stanConnOptions *opts = NULL;
    stanConnection *sc = NULL;
    natsStatus s = stanConnOptions_Create(&opts);
    if (s == NATS_OK)
        s = stanConnOptions_SetURL(opts, argv[1]);
    if (s == NATS_OK)
        s = stanConnection_Connect(&sc, argv[2], "c-client", opts);
    report("connect", s == NATS_OK, text(s));
    if (s != NATS_OK)
        return 1;

    char buf[32];
    int published = 0;
    for (int i = 1; i <= MSGS && s == NATS_OK; i++)
    {
        snprintf(buf, sizeof(buf), "order-%d", i);
        s = stanConnection_Publish(sc, "c.orders", buf, (int)strlen(buf));
        if (s == NATS_OK)
            published++;
    }
    report("publish_with_acks", s == NATS_OK && published == MSGS, text(s));

    /* Manual acks: 1..5 acked, 6..10 left pending, then the durable is closed (kept) and resumed. */
    seen_t first;
    seen_init(&first, 1, 5);
    stanSubscription *sub = durable(sc, &first, &s);
    int got = s == NATS_OK ? seen_wait(&first, MSGS) : 0;
    int inOrder = got == MSGS;
    for (int i = 0; inOrder && i < MSGS; i++)
        inOrder = first.seqs[i] == (uint64_t)(i + 1);
    report("durable_manual_ack_delivers_all", s == NATS_OK && inOrder, s != NATS_OK ? text(s) : (inOrder ? "" : "wrong sequences"));
    if (sub != NULL)
    {
        s = stanSubscription_Close(sub);
        stanSubscription_Destroy(sub);
    }
    report("durable_close", s == NATS_OK, text(s));

    seen_t resumed;
    seen_init(&resumed, 1, MSGS);
    sub = durable(sc, &resumed, &s);
    got = s == NATS_OK ? seen_wait(&resumed, MSGS - 5) : 0;
    nats_Sleep(200); /* nothing else must follow the five pending ones */
    pthread_mutex_lock(&resumed.mu);
    int ok = resumed.count == MSGS - 5 && resumed.redelivered == MSGS - 5 && resumed.seqs[0] == 6 && resumed.seqs[4] == 10;
    char why[96];
    snprintf(why, sizeof(why), "got %d, %d redelivered, first %llu", resumed.count, resumed.redelivered, (unsigned long long)resumed.seqs[0]);
    pthread_mutex_unlock(&resumed.mu);
    report("durable_resumes_with_unacked_redelivered", s == NATS_OK && ok, s != NATS_OK ? text(s) : (ok ? "" : why));
    if (sub != NULL)
    {
        s = stanSubscription_Unsubscribe(sub);
        stanSubscription_Destroy(sub);
    }
    report("durable_unsubscribe", s == NATS_OK, text(s));

    /* Start positions: from a sequence, and the last received. */
    seen_t fromSeq, last;
    seen_init(&fromSeq, 0, 0);
    seen_init(&last, 0, 0);
    stanSubOptions *so = NULL;
    stanSubscription *s1 = NULL, *s2 = NULL;
    s = stanSubOptions_Create(&so);
    if (s == NATS_OK)
        s = stanSubOptions_StartAtSequence(so, 7);
    if (s == NATS_OK)
        s = stanConnection_Subscribe(&s1, sc, "c.orders", onMsg, &fromSeq, so);
    stanSubOptions_Destroy(so);
    so = NULL;
    if (s == NATS_OK)
        s = stanSubOptions_Create(&so);
    if (s == NATS_OK)
        s = stanSubOptions_StartWithLastReceived(so);
    if (s == NATS_OK)
        s = stanConnection_Subscribe(&s2, sc, "c.orders", onMsg, &last, so);
    stanSubOptions_Destroy(so);
    got = s == NATS_OK ? seen_wait(&fromSeq, 4) : 0;
    int gotLast = s == NATS_OK ? seen_wait(&last, 1) : 0;
    nats_Sleep(200);
    pthread_mutex_lock(&fromSeq.mu);
    pthread_mutex_lock(&last.mu);
    ok = fromSeq.count == 4 && fromSeq.seqs[0] == 7 && fromSeq.seqs[3] == 10 && last.count == 1 && last.seqs[0] == 10;
    snprintf(why, sizeof(why), "from 7: %d starting at %llu; last: %d starting at %llu", fromSeq.count,
             (unsigned long long)fromSeq.seqs[0], last.count, (unsigned long long)last.seqs[0]);
    pthread_mutex_unlock(&last.mu);
    pthread_mutex_unlock(&fromSeq.mu);
    report("start_at_sequence_and_last_received", s == NATS_OK && got >= 4 && gotLast >= 1 && ok, s != NATS_OK ? text(s) : (ok ? "" : why));
    stanSubscription_Destroy(s1);
    stanSubscription_Destroy(s2);

    /* Two queue members share asynchronous publishes: each message reaches one of them. */
    seen_t q1, q2;
    seen_init(&q1, 0, 0);
    seen_init(&q2, 0, 0);
    stanSubscription *m1 = NULL, *m2 = NULL;
    s = stanConnection_QueueSubscribe(&m1, sc, "c.jobs", "workers", onMsg, &q1, NULL);
    if (s == NATS_OK)
        s = stanConnection_QueueSubscribe(&m2, sc, "c.jobs", "workers", onMsg, &q2, NULL);
    for (int i = 0; i < ASYNC_MSGS && s == NATS_OK; i++)
        s = stanConnection_PublishAsync(sc, "c.jobs", "job", 3, onAck, NULL);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_MS / 1000;
    pthread_mutex_lock(&ackMu);
    while (acked < ASYNC_MSGS && pthread_cond_timedwait(&ackCond, &ackMu, &until) == 0)
        ;
    ok = acked == ASYNC_MSGS && ackErrors == 0;
    snprintf(why, sizeof(why), "%d acks, %d with an error", acked, ackErrors);
    pthread_mutex_unlock(&ackMu);
    report("publish_async_acks", s == NATS_OK && ok, s != NATS_OK ? text(s) : (ok ? "" : why));
    int total = 0;
    for (int tries = 0; tries < 50 && total < ASYNC_MSGS; tries++)
    {
        nats_Sleep(100);
        pthread_mutex_lock(&q1.mu);
        pthread_mutex_lock(&q2.mu);
        total = q1.count + q2.count;
        pthread_mutex_unlock(&q2.mu);
        pthread_mutex_unlock(&q1.mu);
    }
    ok = total == ASYNC_MSGS && q1.count > 0 && q2.count > 0;
    snprintf(why, sizeof(why), "members got %d and %d", q1.count, q2.count);
    report("queue_group_shares", ok, ok ? "" : why);
    stanSubscription_Destroy(m1);
    stanSubscription_Destroy(m2);

    s = stanConnection_Close(sc);
    report("close", s == NATS_OK, text(s));
    stanConnection_Destroy(sc);
    stanConnOptions_Destroy(opts);
    report("done", 1, "");
    nats_Close();
    return 0;
}
