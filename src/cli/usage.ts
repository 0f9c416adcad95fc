/**
 * `--help` and `--help_tls` texts, laid out like nats-server's (main.go usageStr, opts.go tlsUsage) but
 * listing only the flags natsedge implements.
 */
import { CIPHER_SUITES, CURVE_PREFERENCES } from "../config/tls_names.ts";

export const USAGE = `
Usage: natsedge [options]

Server Options:
    -a, --addr, --net <host>         Bind to host address (default: 0.0.0.0)
    -p, --port <port>                Use port for clients (default: 4222)
    -n, --name
        --server_name <server_name>  Server name (default: auto)
    -P, --pid <file>                 File to store PID
    -m, --http_port <port>           Use port for http monitoring
    -ms,--https_port <port>          Use port for https monitoring
    -c, --config <file>              Configuration file (NATS format, or TOML for a .toml file)
    -t                               Test configuration and exit
    -sl,--signal <signal>[=<pid>]    Send signal to natsedge process (ldm, stop, quit, term, reopen, reload)
                                     <pid> can be either a PID (e.g. 1) or the path to a PID file (e.g. /var/run/natsedge.pid)
        --client_advertise <string>  Client URL to advertise to other servers
        --ports_file_dir <dir>       Creates a ports file in the specified directory (<executable_name>_<pid>.ports).
        --memory_limit <size>        Process memory target, e.g. 512MB (default: cgroup limit or physical memory)

Logging Options:
    -l, --log <file>                 File to redirect log output
    -T, --logtime                    Timestamp log entries (default: true)
        --logtime_utc                Timestamps in UTC instead of local timezone
    -D, --debug                      Enable debugging output
    -V, --trace                      Trace the raw protocol
    -VV                              Verbose trace (traces system account as well)
    -DV                              Debug and trace
    -DVV                             Debug and verbose trace (traces system account as well)
        --log_size_limit <limit>     Logfile size limit (default: auto)
        --max_traced_msg_len <len>   Maximum printable length for traced messages (default: unlimited)

Cluster Options:
        --routes <rurl-1, rurl-2>    Routes to solicit and connect
        --cluster <cluster-url>      Cluster URL for solicited routes
        --cluster_name <string>      Cluster Name, if not set one will be dynamically generated
        --no_advertise <bool>        Do not advertise known cluster information to clients
        --cluster_advertise <string> Cluster URL to advertise to other servers
        --connect_retries <number>   For implicit routes, number of connect retries
        --cluster_listen <url>       Cluster url from which members can solicit routes

JetStream Options:
    -js, --jetstream                 Enable JetStream functionality
    -sd, --store_dir <dir>           Set the storage directory

NATS Streaming Options (any of them runs NATS Streaming beside core NATS):
    -cid, --cluster_id <string>      Cluster ID (default: test-cluster)
    -st, --store <string>            Store type: MEMORY|FILE (default: MEMORY)
         --dir <string>              For FILE store type, this is the root directory
         --encrypt                   Seal every stored record (messages, subscriptions, clients)
         --encryption_cipher <s>     AES or CHACHA (default: CHACHA on ARM, AES elsewhere)
         --encryption_key <string>   Encryption key; NATS_STREAMING_ENCRYPTION_KEY wins and is recommended
    -hbi, --hb_interval <duration>   Interval at which server sends heartbeat to a client (default: 30s)
    -hbt, --hb_timeout <duration>    How long server waits for a heartbeat response (default: 10s)
    -hbf, --hb_fail_count <int>      Failed heartbeats before server closes the client connection (default: 10)
    -mc, --max_channels <int>        Max number of channels (0 for unlimited, default: 100)
    -msu, --max_subs <int>           Max number of subscriptions per channel (0 for unlimited, default: 1000)
    -mm, --max_msgs <int>            Max number of messages per channel (0 for unlimited, default: 1000000)
    -mb, --max_bytes <size>          Max messages total size per channel (0 for unlimited, default: 1000000KB)
    -ma, --max_age <duration>        Max duration a message can be stored ("0s" for unlimited)
    -mi, --max_inactivity <duration> Delete a channel with no subscription and no new message for this long ("0s": never)
         --replace_durable           Replace an active durable subscription instead of refusing its twin

Authorization Options:
        --user <user>                User required for connections
        --pass <password>            Password required for connections
        --auth <token>               Authorization token required for connections

TLS Options:
        --tls                        Enable TLS, do not verify clients (default: false)
        --tlscert <file>             Server certificate file
        --tlskey <file>              Private key for server certificate
        --tlsverify                  Enable TLS, verify client certificates
        --tlscacert <file>           Client certificate CA for verification

Commands:
    mkpasswd [-p] [--cost <n>]       Print a new random password and its bcrypt hash (-p: hash one you type)
    store verify [<dir>] [--repair]  Check every block of every JetStream stream in a store directory
                                     (-c <file> for its key); --repair fixes what it found, then checks again
    config --to-toml <file>          Print a NATS config file as TOML (a .toml file given to -c is read as TOML)

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show version
        --help_tls                   TLS help
`;

export const TLS_USAGE = `
TLS configuration is specified in the tls section of a configuration file:

e.g.

    tls {
        cert_file:      "./certs/server-cert.pem"
        key_file:       "./certs/server-key.pem"
        ca_file:        "./certs/ca.pem"
        verify:         true
        verify_and_map: true

        cipher_suites: [
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        ]
        curve_preferences: [
            "CurveP256",
            "CurveP384",
            "CurveP521"
        ]
    }

Available cipher suites include:
${CIPHER_SUITES.map((c) => `    ${c}`).join("\n")}

Available curve preferences include:
${CURVE_PREFERENCES.map((c) => `    ${c}`).join("\n")}
`;
