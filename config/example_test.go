package config_test

import (
	"fmt"

	"github.com/tributary-io/tributary/config"
)

func ExampleParse() {
	cfg, err := config.Parse([]byte(`
version: v1beta1
kafka:
  listeners:
    - name: plain
      listen_address: 0.0.0.0:9092
      advertise_address: kafka.example.com:9092
intake:
  delay_max: 20ms
`))
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Kafka.Listeners[0].Advertised(), cfg.Intake.Linger, cfg.Intake.MaxBytes)

	_, err = config.Parse([]byte("version: v1beta1\nkafka:\n  listners: []\n"))
	fmt.Println(err)
	// Output:
	// kafka.example.com:9092 20ms 4MiB
	// config: unknown key "kafka.listners" (line 3)
}

func ExampleParse_cluster() {
	cfg, err := config.Parse([]byte(`
version: v1beta1
metadata:
  postgres:
    dsn:
      env_var: DATABASE_URL
data:
  s3:
    uri: s3://warehouse/tributary
    access_key_id: AKIAEXAMPLE
    secret_access_key:
      path: /run/secrets/s3-secret-key
`))
	if err != nil {
		panic(err)
	}
	s3 := cfg.Data.S3
	fmt.Println(cfg.Metadata.Postgres)
	fmt.Println(s3.Bucket, s3.Prefix, s3.Region)
	fmt.Println(s3.AccessKeyID, s3.SecretAccessKey)
	// Output:
	// {DSN:env_var:DATABASE_URL MaxConnections:20 MinConnections:0}
	// warehouse tributary/ us-east-1
	// string:<redacted> path:/run/secrets/s3-secret-key
}
