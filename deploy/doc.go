// Package deploy holds the deployment files (Dockerfile, compose.yaml,
// nginx.conf, jinnang.service, grafana-dashboard.json) and the test that
// validates them. The dashboard's metric names are checked against a
// running portal's /metrics by portal.TestDashboardMetricsExist.
package deploy
