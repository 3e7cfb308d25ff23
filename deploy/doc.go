// Package deploy holds no code: its directory carries what deploying
// Tributary needs, and its tests check those files against the code and
// the docs:
//
//	image/      the container image, built without a daemon (own module)
//	helm/       the Helm chart (helm lint, helm template, kubecheck)
//	kubecheck/  offline validation of rendered manifests (own module)
//	compose/    a docker-compose example: two brokers, Postgres, versitygw
//	grafana/    a dashboard on the metrics of docs/metrics.md
package deploy
