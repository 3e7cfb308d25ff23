package config

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The older, unversioned bufstream.yaml (Bufstream ≤ 0.3, "v1alpha1"),
// mapped onto Config:
//
//	cluster, zone, data_dir       as in v1beta1
//	kafka.address                 kafka.listeners[0].listen_address
//	kafka.public_address          kafka.listeners[0].advertise_address
//	kafka.num_partitions          kafka.num_partitions
//	admin_address                 admin.listen_address
//	storage.provider: LOCAL_DISK  the local object store (the only one yet)
//	intake.delay_max[_bytes]      as in v1beta1
//
// Addresses are "host:port" strings or {host, port} mappings. Tributary's
// own keys (kafka.auto_create_topics, kafka.max_request_bytes,
// kafka.broker_id, intake.max_buffered_bytes, fetch, housekeeping) are
// accepted here too.
type v1alpha1 struct {
	Cluster      string       `yaml:"cluster"`
	Zone         string       `yaml:"zone"`
	DataDir      string       `yaml:"data_dir"`
	AdminAddress hostPort     `yaml:"admin_address"`
	Kafka        alphaKafka   `yaml:"kafka"`
	Storage      alphaStorage `yaml:"storage"`
	Intake       Intake       `yaml:"intake"`
	Fetch        Fetch        `yaml:"fetch"`
	Housekeeping Housekeeping `yaml:"housekeeping"`
}

type alphaKafka struct {
	Address          hostPort `yaml:"address"`
	PublicAddress    hostPort `yaml:"public_address"`
	NumPartitions    int32    `yaml:"num_partitions"`
	AutoCreateTopics bool     `yaml:"auto_create_topics"`
	MaxRequestBytes  ByteSize `yaml:"max_request_bytes"`
	BrokerID         int32    `yaml:"broker_id"`
}

type alphaStorage struct {
	Provider string `yaml:"provider"`
}

// unsupportedV1Alpha1 are unversioned-form keys for features not built yet.
var unsupportedV1Alpha1 = map[string]string{
	"name":                      "per-broker names are not implemented; use kafka.broker_id",
	"etcd":                      "etcd metadata storage is not supported; the embedded store under data_dir is used",
	"postgres":                  "Postgres metadata storage is not implemented yet",
	"spanner":                   "Spanner metadata storage is not supported",
	"in_memory":                 "in-memory mode is not supported; the broker stores under data_dir",
	"observability":             "observability settings are not implemented; metrics are on admin_address/metrics",
	"data_enforcement":          "schema enforcement is not implemented yet",
	"iceberg":                   "Iceberg catalogs are not implemented yet",
	"archive":                   "archive settings are not implemented yet",
	"cache":                     "cache settings are not implemented; see fetch.cache_bytes",
	"connect_address":           "inter-broker RPCs do not exist in Tributary",
	"connect_public_address":    "inter-broker RPCs do not exist in Tributary",
	"admin_tls":                 "admin TLS is not implemented yet",
	"kafka.tls":                 "TLS listeners are not implemented yet",
	"kafka.authentication":      "SASL/mTLS authentication is not implemented yet",
	"storage.bucket":            "remote object storage is not implemented yet",
	"storage.region":            "remote object storage is not implemented yet",
	"storage.prefix":            "remote object storage is not implemented yet",
	"storage.endpoint":          "remote object storage is not implemented yet",
	"storage.force_path_style":  "remote object storage is not implemented yet",
	"storage.access_key_id":     "remote object storage is not implemented yet",
	"storage.secret_access_key": "remote object storage is not implemented yet",
}

// parseV1Alpha1 decodes the unversioned form over cfg.
func parseV1Alpha1(root *yaml.Node, cfg Config) (Config, error) {
	l0 := cfg.Kafka.Listeners[0]
	a := v1alpha1{
		Cluster: cfg.Name, Zone: cfg.Zone, DataDir: cfg.DataDir,
		AdminAddress: hostPort(cfg.Admin.ListenAddress),
		Kafka: alphaKafka{
			Address:          hostPort(l0.ListenAddress),
			NumPartitions:    cfg.Kafka.DefaultPartitions,
			AutoCreateTopics: cfg.Kafka.AutoCreateTopics,
			MaxRequestBytes:  cfg.Kafka.MaxRequestBytes,
			BrokerID:         cfg.Kafka.BrokerID,
		},
		Intake: cfg.Intake, Fetch: cfg.Fetch, Housekeeping: cfg.Housekeeping,
	}
	if err := (decoder{unsupported: unsupportedV1Alpha1}).decode(root, reflectValue(&a), ""); err != nil {
		if errors.Is(err, ErrUnknownKey) {
			err = fmt.Errorf("%w (the file has no version, so it is read as the older unversioned form; v1beta1 files start with \"version: v1beta1\")", err)
		}
		return Config{}, err
	}
	if err := checkAlphaProvider(root, a.Storage.Provider); err != nil {
		return Config{}, err
	}
	cfg.Version = ""
	cfg.Name, cfg.Zone, cfg.DataDir = a.Cluster, a.Zone, a.DataDir
	cfg.Admin.ListenAddress = string(a.AdminAddress)
	// Without public_address, advertise what is bound (see Advertised).
	advertise := string(a.Kafka.PublicAddress)
	if advertise == "" && string(a.Kafka.Address) == l0.ListenAddress {
		advertise = l0.AdvertiseAddress
	}
	cfg.Kafka = Kafka{
		Listeners:         []Listener{{Name: l0.Name, ListenAddress: string(a.Kafka.Address), AdvertiseAddress: advertise}},
		AutoCreateTopics:  a.Kafka.AutoCreateTopics,
		DefaultPartitions: a.Kafka.NumPartitions,
		MaxRequestBytes:   a.Kafka.MaxRequestBytes,
		BrokerID:          a.Kafka.BrokerID,
	}
	cfg.Intake, cfg.Fetch, cfg.Housekeeping = a.Intake, a.Fetch, a.Housekeeping
	return cfg, nil
}

// checkAlphaProvider accepts only the local disk provider.
func checkAlphaProvider(root *yaml.Node, provider string) error {
	switch strings.ToUpper(provider) {
	case "", "LOCAL_DISK":
		return nil
	}
	line := root.Line
	if n := lookup(root, "storage", "provider"); n != nil {
		line = n.Line
	}
	return fmt.Errorf("%w \"storage.provider\" (line %d): %q is not supported yet; only LOCAL_DISK", ErrInvalidValue, line, provider)
}

// lookup follows mapping keys from n; nil if a key is missing.
func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		var next *yaml.Node
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// hostPort is an address in the unversioned form: a "host:port" string or
// a {host, port} mapping.
type hostPort string

func (h *hostPort) unmarshalAt(n *yaml.Node, path string) error {
	if n.Kind == yaml.ScalarNode {
		*h = hostPort(n.Value)
		return nil
	}
	var m struct {
		Host string `yaml:"host"`
		Port uint16 `yaml:"port"`
	}
	if err := strictDecode(n, &m, path); err != nil {
		return err
	}
	*h = hostPort(net.JoinHostPort(m.Host, strconv.Itoa(int(m.Port))))
	return nil
}

func reflectValue[T any](p *T) reflect.Value { return reflect.ValueOf(p).Elem() }
