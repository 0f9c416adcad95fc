/*
 * A native NATS Streaming load generator on Debian's libnats (built with -DNATS_HAS_STREAMING): publishes
 * `count` messages of `size` bytes with acks, up to the client's 16384 acks in flight, and with `pubsub` a
 * subscriber on its own connection receives them too (stan-bench's 1 pub : 1 sub). Prints one JSON line
 * {"msgs","seconds","rate"}; the rate counts from the first publish to the last ack (and the last delivery).
 * Usage: stan_load <url> <cluster id> pub|pubsub <size> <count>
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nats/nats.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int acked, ackErrors, received;

static void onAck(const char *guid, const char *error, void *closure)
{
    pthread_mutex_lock(&mu);
    acked++;
    if (error != NULL)
        ackErrors++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&mu);
}

static void onMsg(stanConnection *sc, stanSubscription *sub, const char *channel, stanMsg *msg, void *closure)
{
    stanMsg_Destroy(msg);
    pthread_mutex_lock(&mu);
    received++;
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
        fprintf(stderr, "connect %s: %s\n", id, nats_GetLastError(NULL));
        exit(1);
    }
    return sc;
}

int main(int argc, char **argv)
{
    if (argc < 6)
    {
        fprintf(stderr, "usage: stan_load <url> <cluster id> pub|pubsub <size> <count>\n");
        return 2;
    }
    const char *url = argv[1], *cluster = argv[2];
    int withSub = strcmp(argv[3], "pubsub") == 0;
    int size = atoi(argv[4]), count = atoi(argv[5]);
    char *payload = malloc(size);
    memset(payload, 'a', size);

    stanConnection *pub = dial(url, cluster, "load-pub");
    stanConnection *subConn = NULL;
    stanSubscription *sub = NULL;
    if (withSub)
    {
        subConn = dial(url, cluster, "load-sub");
        stanSubOptions *so = NULL;
        stanSubOptions_Create(&so);
        /* Acks batched by the client are what stan-bench measures; max in flight high enough not to throttle. */
        stanSubOptions_SetMaxInflight(so, 16384);
        if (stanConnection_Subscribe(&sub, subConn, "load", onMsg, NULL, so) != NATS_OK)
        {
            fprintf(stderr, "subscribe: %s\n", nats_GetLastError(NULL));
            return 1;
        }
        stanSubOptions_Destroy(so);
    }

    int64_t start = nats_NowInNanoSeconds();
    for (int i = 0; i < count; i++)
    {
        if (stanConnection_PublishAsync(pub, "load", payload, size, onAck, NULL) != NATS_OK)
        {
            fprintf(stderr, "publish %d: %s\n", i, nats_GetLastError(NULL));
            return 1;
        }
    }
    pthread_mutex_lock(&mu);
    while (acked < count || (withSub && received < count))
    {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 60;
        if (pthread_cond_timedwait(&cond, &mu, &until) != 0)
        {
            fprintf(stderr, "timed out: %d acks, %d received of %d\n", acked, received, count);
            return 1;
        }
    }
    pthread_mutex_unlock(&mu);
    double seconds = (double)(nats_NowInNanoSeconds() - start) / 1e9;
    if (ackErrors > 0)
    {
        fprintf(stderr, "%d publishes acked with an error\n", ackErrors);
        return 1;
    }
    printf("{\"msgs\":%d,\"seconds\":%.4f,\"rate\":%.0f}\n", count, seconds, count / seconds);

    if (sub != NULL)
    {
        stanSubscription_Unsubscribe(sub);
        stanSubscription_Destroy(sub);
        stanConnection_Close(subConn);
        stanConnection_Destroy(subConn);
    }
    stanConnection_Close(pub);
    stanConnection_Destroy(pub);
    free(payload);
    nats_Close();
    return 0;
}
