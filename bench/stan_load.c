/*
 * A native NATS Streaming load generator on Debian's libnats (built with -DNATS_HAS_STREAMING) that loads
 * several servers in turn: `bursts` times, each server in turn (the order rotating by one every time) gets
 * `burst` messages of `size` bytes published with acks, up to the client's 16384 acks in flight, and with
 * `pubsub` a subscriber on its own connection receives them too (stan-bench's 1 pub : 1 sub); the next server
 * starts once the last ack (and delivery) is in. Short turns spread every server's work over the same seconds,
 * so a slow spell of the shared machine falls on all of them alike. Prints one JSON line {"msgs","rates"}:
 * per server, in argument order, its messages over the time of its own turns.
 * Usage: stan_load <cluster id> pub|pubsub <size> <burst> <bursts> <url> [<url> ...]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nats/nats.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;

/* One server's connections and counters; acked and received count within the current turn. */
typedef struct
{
    const char *url;
    stanConnection *pub, *subConn;
    stanSubscription *sub;
    int acked, ackErrors, received;
    int64_t nanos;
} target;

static void onAck(const char *guid, const char *error, void *closure)
{
    target *t = closure;
    pthread_mutex_lock(&mu);
    t->acked++;
    if (error != NULL)
        t->ackErrors++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&mu);
}

static void onMsg(stanConnection *sc, stanSubscription *sub, const char *channel, stanMsg *msg, void *closure)
{
    target *t = closure;
    stanMsg_Destroy(msg);
    pthread_mutex_lock(&mu);
    t->received++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&mu);
}

static stanConnection *dial(const char *url, const char *cluster, const char *id)
{
    stanConnOptions *opts = NULL;
    stanConnection *sc = NULL;
    natsStatus s = stanConnOptions_Create(&opts);
    if (s == NATS_OK)
        s = stanConnOptions_SetURL(opts, url);
    if (s == NATS_OK)
        s = stanConnection_Connect(&sc, cluster, id, opts);
    stanConnOptions_Destroy(opts);
    if (s != NATS_OK)
    {
        fprintf(stderr, "connect %s to %s: %s\n", id, url, nats_GetLastError(NULL));
        exit(1);
    }
    return sc;
}

static void subscribe(target *t, const char *cluster)
{
    t->subConn = dial(t->url, cluster, "load-sub");
    stanSubOptions *so = NULL;
    stanSubOptions_Create(&so);
    /* Acks batched by the client are what stan-bench measures; max in flight high enough not to throttle. */
    stanSubOptions_SetMaxInflight(so, 16384);
    if (stanConnection_Subscribe(&t->sub, t->subConn, "load", onMsg, t, so) != NATS_OK)
    {
        fprintf(stderr, "subscribe on %s: %s\n", t->url, nats_GetLastError(NULL));
        exit(1);
    }
    stanSubOptions_Destroy(so);
}

/* One turn: `burst` publishes to t, waiting for every ack (and delivery); adds its time to t->nanos. */
static void turn(target *t, int withSub, const char *payload, int size, int burst)
{
    pthread_mutex_lock(&mu);
    t->acked = t->received = 0;
    pthread_mutex_unlock(&mu);
    int64_t start = nats_NowInNanoSeconds();
    for (int i = 0; i < burst; i++)
    {
        if (stanConnection_PublishAsync(t->pub, "load", payload, size, onAck, t) != NATS_OK)
        {
            fprintf(stderr, "publish %d to %s: %s\n", i, t->url, nats_GetLastError(NULL));
            exit(1);
        }
    }
    pthread_mutex_lock(&mu);
    while (t->acked < burst || (withSub && t->received < burst))
    {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 60;
        if (pthread_cond_timedwait(&cond, &mu, &until) != 0)
        {
            fprintf(stderr, "timed out on %s: %d acks, %d received of %d\n", t->url, t->acked, t->received, burst);
            exit(1);
        }
    }
    pthread_mutex_unlock(&mu);
    t->nanos += nats_NowInNanoSeconds() - start;
    if (t->ackErrors > 0)
    {
        fprintf(stderr, "%d publishes to %s acked with an error\n", t->ackErrors, t->url);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc < 7)
    {
        fprintf(stderr, "usage: stan_load <cluster id> pub|pubsub <size> <burst> <bursts> <url> [<url> ...]\n");
        return 2;
    }
    const char *cluster = argv[1];
    int withSub = strcmp(argv[2], "pubsub") == 0;
    int size = atoi(argv[3]), burst = atoi(argv[4]), bursts = atoi(argv[5]), n = argc - 6;
    char *payload = malloc(size);
    memset(payload, 'a', size);
    target *ts = calloc(n, sizeof(target));
    for (int k = 0; k < n; k++)
    {
        ts[k].url = argv[6 + k];
        ts[k].pub = dial(ts[k].url, cluster, "load-pub");
        if (withSub)
            subscribe(&ts[k], cluster);
    }

    for (int b = 0; b < bursts; b++)
        for (int k = 0; k < n; k++)
            turn(&ts[(b + k) % n], withSub, payload, size, burst);

    printf("{\"msgs\":%d,\"rates\":[", burst * bursts);
    for (int k = 0; k < n; k++)
        printf("%s%.0f", k == 0 ? "" : ",", (double)burst * bursts / ((double)ts[k].nanos / 1e9));
    printf("]}\n");

    for (int k = 0; k < n; k++)
    {
        if (ts[k].sub != NULL)
        {
            stanSubscription_Unsubscribe(ts[k].sub);
            stanSubscription_Destroy(ts[k].sub);
            stanConnection_Close(ts[k].subConn);
            stanConnection_Destroy(ts[k].subConn);
        }
        stanConnection_Close(ts[k].pub);
        stanConnection_Destroy(ts[k].pub);
    }
    free(ts);
    free(payload);
    nats_Close();
    return 0;
}
