// Command natsgo_sys reads the system account's answers and events the way Go tools do (the nats CLI and
// exporters decode them into nats-server's own structs): each is decoded into a copy of nats-server 2.9.10's
// struct with unknown fields refused, so a misnamed field or a wrong JSON type fails the check. It runs
// against a server with tests/compat/sys_clients_test.ts's config: account A (JetStream, a service export
// with latency tracking), B importing that service with share, and SYS.
// It prints a JSON line per check: {"check": name, "ok": bool, "err": string}, and exits 1 when any failed.
//
// Usage: natsgo_sys nats://127.0.0.1:4222
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/nats-io/nats.go"

	"../gocheck"
)

const bound = 5 * time.Second

// nats-server 2.9.10's ServerInfo, ServerStats, DataStats and RouteStat (server/events.go).
type ServerInfo struct {
	Name      string    `json:"name"`
	Host      string    `json:"host"`
	ID        string    `json:"id"`
	Cluster   string    `json:"cluster,omitempty"`
	Domain    string    `json:"domain,omitempty"`
	Version   string    `json:"ver"`
	Tags      []string  `json:"tags,omitempty"`
	Seq       uint64    `json:"seq"`
	JetStream bool      `json:"jetstream"`
	Time      time.Time `json:"time"`
}

type DataStats struct {
	Msgs  int64 `json:"msgs"`
	Bytes int64 `json:"bytes"`
}

type RouteStat struct {
	ID       uint64    `json:"rid"`
	Name     string    `json:"name,omitempty"`
	Sent     DataStats `json:"sent"`
	Received DataStats `json:"received"`
	Pending  int       `json:"pending"`
}

type ServerStats struct {
	Start            time.Time      `json:"start"`
	Mem              int64          `json:"mem"`
	Cores            int            `json:"cores"`
	CPU              float64        `json:"cpu"`
	Connections      int            `json:"connections"`
	TotalConnections uint64         `json:"total_connections"`
	ActiveAccounts   int            `json:"active_accounts"`
	NumSubs          uint32         `json:"subscriptions"`
	Sent             DataStats      `json:"sent"`
	Received         DataStats      `json:"received"`
	SlowConsumers    int64          `json:"slow_consumers"`
	Routes           []*RouteStat   `json:"routes,omitempty"`
	ActiveServers    int            `json:"active_servers,omitempty"`
	JetStream        *JetStreamVarz `json:"jetstream,omitempty"`
}

// JetStreamVarz and JetStreamStats (server/monitor.go, server/jetstream.go).
type JetStreamVarz struct {
	Config *JetStreamConfig `json:"config,omitempty"`
	Stats  *JetStreamStats  `json:"stats,omitempty"`
	Meta   json.RawMessage  `json:"meta,omitempty"`
}

type JetStreamStats struct {
	Memory         uint64            `json:"memory"`
	Store          uint64            `json:"storage"`
	ReservedMemory uint64            `json:"reserved_memory"`
	ReservedStore  uint64            `json:"reserved_storage"`
	Accounts       int               `json:"accounts"`
	HAAssets       int               `json:"ha_assets"`
	API            JetStreamAPIStats `json:"api"`
}

type ServerStatsMsg struct {
	Server ServerInfo  `json:"server"`
	Stats  ServerStats `json:"statsz"`
}

// ClientInfo, AccountNumConns and ServiceLatency (server/events.go, server/accounts.go).
type ClientInfo struct {
	Start      *time.Time    `json:"start,omitempty"`
	Host       string        `json:"host,omitempty"`
	ID         uint64        `json:"id,omitempty"`
	Account    string        `json:"acc"`
	Service    string        `json:"svc,omitempty"`
	User       string        `json:"user,omitempty"`
	Name       string        `json:"name,omitempty"`
	Lang       string        `json:"lang,omitempty"`
	Version    string        `json:"ver,omitempty"`
	RTT        time.Duration `json:"rtt,omitempty"`
	Server     string        `json:"server,omitempty"`
	Cluster    string        `json:"cluster,omitempty"`
	Alternates []string      `json:"alts,omitempty"`
	Stop       *time.Time    `json:"stop,omitempty"`
	Jwt        string        `json:"jwt,omitempty"`
	IssuerKey  string        `json:"issuer_key,omitempty"`
	NameTag    string        `json:"name_tag,omitempty"`
	Tags       []string      `json:"tags,omitempty"`
	Kind       string        `json:"kind,omitempty"`
	ClientType string        `json:"client_type,omitempty"`
	MQTTClient string        `json:"client_id,omitempty"`
}

type AccountNumConns struct {
	Type          string     `json:"type"`
	ID            string     `json:"id"`
	Time          time.Time  `json:"timestamp"`
	Server        ServerInfo `json:"server"`
	Account       string     `json:"acc"`
	Conns         int        `json:"conns"`
	LeafNodes     int        `json:"leafnodes"`
	TotalConns    int        `json:"total_conns"`
	Sent          DataStats  `json:"sent"`
	Received      DataStats  `json:"received"`
	SlowConsumers int64      `json:"slow_consumers"`
}

type ServiceLatency struct {
	Type           string              `json:"type"`
	ID             string              `json:"id"`
	Time           time.Time           `json:"timestamp"`
	Status         int                 `json:"status"`
	Error          string              `json:"description,omitempty"`
	Requestor      *ClientInfo         `json:"requestor,omitempty"`
	Responder      *ClientInfo         `json:"responder,omitempty"`
	RequestHeader  map[string][]string `json:"header,omitempty"`
	RequestStart   time.Time           `json:"start"`
	ServiceLatency time.Duration       `json:"service"`
	SystemLatency  time.Duration       `json:"system"`
	TotalLatency   time.Duration       `json:"total"`
}

// JSInfo and its parts (server/monitor.go, server/jetstream.go), as far as a server without clustering fills them.
type JetStreamConfig struct {
	MaxMemory int64  `json:"max_memory"`
	MaxStore  int64  `json:"max_storage"`
	StoreDir  string `json:"store_dir,omitempty"`
	Domain    string `json:"domain,omitempty"`
}

type JetStreamAPIStats struct {
	Total    uint64 `json:"total"`
	Errors   uint64 `json:"errors"`
	Inflight uint64 `json:"inflight,omitempty"`
}

type AccountDetail struct {
	Name           string            `json:"name"`
	Id             string            `json:"id"`
	Memory         uint64            `json:"memory"`
	Store          uint64            `json:"storage"`
	ReservedMemory uint64            `json:"reserved_memory"`
	ReservedStore  uint64            `json:"reserved_storage"`
	Accounts       int               `json:"accounts"`
	HAAssets       int               `json:"ha_assets"`
	API            JetStreamAPIStats `json:"api"`
	Streams        []json.RawMessage `json:"stream_detail,omitempty"`
}

type JSInfo struct {
	ID             string            `json:"server_id"`
	Now            time.Time         `json:"now"`
	Disabled       bool              `json:"disabled,omitempty"`
	Config         JetStreamConfig   `json:"config,omitempty"`
	Memory         uint64            `json:"memory"`
	Store          uint64            `json:"storage"`
	ReservedMemory uint64            `json:"reserved_memory"`
	ReservedStore  uint64            `json:"reserved_storage"`
	Accounts       int               `json:"accounts"`
	HAAssets       int               `json:"ha_assets"`
	API            JetStreamAPIStats `json:"api"`
	Streams        int               `json:"streams"`
	Consumers      int               `json:"consumers"`
	Messages       uint64            `json:"messages"`
	Bytes          uint64            `json:"bytes"`
	Meta           json.RawMessage   `json:"meta_cluster,omitempty"`
	AccountDetails []*AccountDetail  `json:"account_details,omitempty"`
}

// Accountz, SublistStats/Subsz and Leafz (server/monitor.go), as the requests answer them.
type Accountz struct {
	ID            string          `json:"server_id"`
	Now           time.Time       `json:"now"`
	SystemAccount string          `json:"system_account,omitempty"`
	Accounts      []string        `json:"accounts,omitempty"`
	Account       json.RawMessage `json:"account_detail,omitempty"`
}

type SubDetail struct {
	Account string `json:"account,omitempty"`
	Subject string `json:"subject"`
	Queue   string `json:"qgroup,omitempty"`
	Sid     string `json:"sid"`
	Msgs    int64  `json:"msgs"`
	Max     int64  `json:"max,omitempty"`
	Cid     uint64 `json:"cid"`
}

type Subsz struct {
	ID           string       `json:"server_id"`
	Now          time.Time    `json:"now"`
	NumSubs      uint32       `json:"num_subscriptions"`
	NumCache     uint32       `json:"num_cache"`
	NumInserts   uint64       `json:"num_inserts"`
	NumRemoves   uint64       `json:"num_removes"`
	NumMatches   uint64       `json:"num_matches"`
	CacheHitRate float64      `json:"cache_hit_rate"`
	MaxFanout    uint32       `json:"max_fanout"`
	AvgFanout    float64      `json:"avg_fanout"`
	Total        int          `json:"total"`
	Offset       int          `json:"offset"`
	Limit        int          `json:"limit"`
	Subs         []*SubDetail `json:"subscriptions_list,omitempty"`
}

type Leafz struct {
	ID       string            `json:"server_id"`
	Now      time.Time         `json:"now"`
	NumLeafs int               `json:"leafnodes"`
	Leafs    []json.RawMessage `json:"leafs"`
}

type Gatewayz struct {
	ID               string                     `json:"server_id"`
	Now              time.Time                  `json:"now"`
	Name             string                     `json:"name,omitempty"`
	Host             string                     `json:"host,omitempty"`
	Port             int                        `json:"port,omitempty"`
	OutboundGateways map[string]json.RawMessage `json:"outbound_gateways"`
	InboundGateways  map[string]json.RawMessage `json:"inbound_gateways"`
}

// AccountInfo, ExtExport and ExtImport (server/monitor.go, with jwt.Export and jwt.Import's fields).
type ServiceLatencyClaim struct {
	Sampling json.RawMessage `json:"sampling"`
	Results  string          `json:"results"`
}

type ExtExport struct {
	Name                 string               `json:"name,omitempty"`
	Subject              string               `json:"subject,omitempty"`
	Type                 string               `json:"type,omitempty"`
	TokenReq             bool                 `json:"token_req,omitempty"`
	Revocations          map[string]int64     `json:"revocations,omitempty"`
	ResponseType         string               `json:"response_type,omitempty"`
	ResponseThreshold    time.Duration        `json:"response_threshold,omitempty"`
	Latency              *ServiceLatencyClaim `json:"service_latency,omitempty"`
	AccountTokenPosition uint                 `json:"account_token_position,omitempty"`
	Advertise            bool                 `json:"advertise,omitempty"`
	Description          string               `json:"description,omitempty"`
	InfoURL              string               `json:"info_url,omitempty"`
	ApprovedAccounts     []string             `json:"approved_accounts,omitempty"`
}

type ExtImport struct {
	Name         string               `json:"name,omitempty"`
	Subject      string               `json:"subject,omitempty"`
	Account      string               `json:"account,omitempty"`
	Token        string               `json:"token,omitempty"`
	To           string               `json:"to,omitempty"`
	LocalSubject string               `json:"local_subject,omitempty"`
	Type         string               `json:"type,omitempty"`
	Share        bool                 `json:"share"`
	Invalid      bool                 `json:"invalid"`
	Tracking     bool                 `json:"tracking"`
	TrackingHdr  map[string][]string  `json:"tracking_header,omitempty"`
	Latency      *ServiceLatencyClaim `json:"latency,omitempty"`
	M1           json.RawMessage      `json:"m1,omitempty"`
}

type SublistStats struct {
	NumSubs      uint32  `json:"num_subscriptions"`
	NumCache     uint32  `json:"num_cache"`
	NumInserts   uint64  `json:"num_inserts"`
	NumRemoves   uint64  `json:"num_removes"`
	NumMatches   uint64  `json:"num_matches"`
	CacheHitRate float64 `json:"cache_hit_rate"`
	MaxFanout    uint32  `json:"max_fanout"`
	AvgFanout    float64 `json:"avg_fanout"`
}

type AccountInfo struct {
	AccountName string                     `json:"account_name"`
	LastUpdate  time.Time                  `json:"update_time,omitempty"`
	IsSystem    bool                       `json:"is_system,omitempty"`
	Expired     bool                       `json:"expired"`
	Complete    bool                       `json:"complete"`
	JetStream   bool                       `json:"jetstream_enabled"`
	LeafCnt     int                        `json:"leafnode_connections"`
	ClientCnt   int                        `json:"client_connections"`
	SubCnt      uint32                     `json:"subscriptions"`
	Mappings    map[string]json.RawMessage `json:"mappings,omitempty"`
	Exports     []ExtExport                `json:"exports,omitempty"`
	Imports     []ExtImport                `json:"imports,omitempty"`
	Jwt         string                     `json:"jwt,omitempty"`
	IssuerKey   string                     `json:"issuer_key,omitempty"`
	NameTag     string                     `json:"name_tag,omitempty"`
	Tags        []string                   `json:"tags,omitempty"`
	Claim       json.RawMessage            `json:"decoded_jwt,omitempty"`
	Vr          json.RawMessage            `json:"validation_result_jwt,omitempty"`
	RevokedUser map[string]time.Time       `json:"revoked_user,omitempty"`
	Sublist     *SublistStats              `json:"sublist_stats,omitempty"`
	Responses   map[string]ExtImport       `json:"responses,omitempty"`
}

type ApiError struct {
	Code        int    `json:"code"`
	Description string `json:"description,omitempty"`
}

// ServerAPIResponse with its data decoded into the type given.
type response struct {
	Server *ServerInfo     `json:"server"`
	Data   json.RawMessage `json:"data,omitempty"`
	Error  *ApiError       `json:"error,omitempty"`
}

// strict decodes b into v, refusing fields v does not have.
func strict(b []byte, v interface{}) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%v in %s", err, b)
	}
	return nil
}

// ask sends a request and decodes its ServerAPIResponse, with `data` into v.
func ask(nc *nats.Conn, subject, body string, v interface{}) error {
	m, err := nc.Request(subject, []byte(body), bound)
	if err != nil {
		return err
	}
	var r response
	if err := strict(m.Data, &r); err != nil {
		return err
	}
	if r.Error != nil {
		return fmt.Errorf("error answer %d: %s", r.Error.Code, r.Error.Description)
	}
	if r.Server == nil || r.Server.ID == "" {
		return fmt.Errorf("no server block in %s", m.Data)
	}
	return strict(r.Data, v)
}

func connectAs(server, user string, opts ...nats.Option) (*nats.Conn, error) {
	u, err := url.Parse(server)
	if err != nil {
		return nil, err
	}
	u.User = url.UserPassword(user, user)
	return nats.Connect(u.String(), append(opts, nats.NoReconnect())...)
}

func main() {
	server := os.Args[1]
	sys, err := connectAs(server, "sys")
	if err != nil {
		gocheck.Run("connect", func() error { return err })
		os.Exit(1)
	}
	defer sys.Close()
	a, err := connectAs(server, "a", nats.Name("responder"))
	if err != nil {
		gocheck.Run("connect", func() error { return err })
		os.Exit(1)
	}
	defer a.Close()

	var id string
	gocheck.Run("ping_statsz", func() error {
		m, err := sys.Request("$SYS.REQ.SERVER.PING", nil, bound)
		if err != nil {
			return err
		}
		var s ServerStatsMsg
		if err := strict(m.Data, &s); err != nil {
			return err
		}
		id = s.Server.ID
		if s.Stats.Connections < 2 || s.Stats.Start.IsZero() {
			return fmt.Errorf("statsz %+v", s.Stats)
		}
		if js := s.Stats.JetStream; js == nil || js.Config == nil || js.Config.StoreDir != "" || js.Stats == nil || js.Stats.Accounts != 1 {
			return fmt.Errorf("statsz jetstream in %s", m.Data)
		}
		return nil
	})

	gocheck.Run("statsz_push", func() error {
		sub, err := sys.SubscribeSync(fmt.Sprintf("$SYS.SERVER.%s.STATSZ", id))
		if err != nil {
			return err
		}
		defer sub.Unsubscribe()
		m, err := sub.NextMsg(bound)
		if err != nil {
			return err
		}
		var s ServerStatsMsg
		return strict(m.Data, &s)
	})

	gocheck.Run("jsz_accounts", func() error {
		var j JSInfo
		if err := ask(sys, "$SYS.REQ.SERVER.PING.JSZ", `{"accounts":true}`, &j); err != nil {
			return err
		}
		if len(j.AccountDetails) != 1 || j.AccountDetails[0].Name != "A" {
			return fmt.Errorf("account details %+v", j.AccountDetails)
		}
		return nil
	})

	gocheck.Run("account_jsz", func() error {
		var d AccountDetail
		return ask(sys, "$SYS.REQ.ACCOUNT.A.JSZ", "", &d)
	})

	gocheck.Run("accountz", func() error {
		var z Accountz
		if err := ask(sys, "$SYS.REQ.SERVER.PING.ACCOUNTZ", "", &z); err != nil {
			return err
		}
		if z.SystemAccount != "SYS" || len(z.Accounts) != 4 {
			return fmt.Errorf("accountz %+v", z)
		}
		return nil
	})

	gocheck.Run("subsz_account", func() error {
		var z Subsz
		if err := ask(sys, "$SYS.REQ.ACCOUNT.A.SUBSZ", "", &z); err != nil {
			return err
		}
		if z.Total == 0 || len(z.Subs) == 0 || z.Subs[0].Account != "A" {
			return fmt.Errorf("subsz %+v", z)
		}
		return nil
	})

	gocheck.Run("account_info", func() error {
		var a AccountInfo
		if err := ask(sys, "$SYS.REQ.ACCOUNT.A.INFO", "", &a); err != nil {
			return err
		}
		if len(a.Exports) != 1 || a.Exports[0].Latency == nil || a.Exports[0].Latency.Results != "lat.svc" {
			return fmt.Errorf("A's exports %+v", a.Exports)
		}
		var b AccountInfo
		if err := ask(sys, "$SYS.REQ.ACCOUNT.B.INFO", "", &b); err != nil {
			return err
		}
		for _, i := range b.Imports {
			if i.Account == "A" && (!i.Share || i.Latency == nil) {
				return fmt.Errorf("B's import %+v", i)
			}
		}
		return nil
	})

	gocheck.Run("leafz_gatewayz", func() error {
		var l Leafz
		if err := ask(sys, "$SYS.REQ.SERVER.PING.LEAFZ", "", &l); err != nil {
			return err
		}
		var g Gatewayz
		return ask(sys, "$SYS.REQ.SERVER.PING.GATEWAYZ", "", &g)
	})

	gocheck.Run("account_conns", func() error {
		m, err := sys.Request("$SYS.REQ.ACCOUNT.A.CONNS", nil, bound)
		if err != nil {
			return err
		}
		var c AccountNumConns
		if err := strict(m.Data, &c); err != nil {
			return err
		}
		if c.Account != "A" || c.Conns != 1 {
			return fmt.Errorf("conns %+v", c)
		}
		return nil
	})

	gocheck.Run("service_latency", func() error {
		lat, err := a.SubscribeSync("lat.svc")
		if err != nil {
			return err
		}
		defer lat.Unsubscribe()
		svc, err := a.Subscribe("svc.>", func(m *nats.Msg) { _ = m.Respond([]byte("pong")) })
		if err != nil {
			return err
		}
		defer svc.Unsubscribe()
		if err := a.Flush(); err != nil {
			return err
		}
		b, err := connectAs(server, "b", nats.Name("requestor"))
		if err != nil {
			return err
		}
		defer b.Close()
		if _, err := b.Request("svc.go", []byte("ping"), bound); err != nil {
			return err
		}
		m, err := lat.NextMsg(bound)
		if err != nil {
			return err
		}
		var l ServiceLatency
		if err := strict(m.Data, &l); err != nil {
			return err
		}
		if l.Status != 200 || l.Requestor == nil || l.Requestor.Name != "requestor" || l.Responder == nil || l.Responder.Name != "responder" || l.TotalLatency <= 0 {
			return fmt.Errorf("latency %s", m.Data)
		}
		return nil
	})

	gocheck.Run("done", func() error { return nil })
	gocheck.Exit()
}
