// Package deploy holds the deployment files (Dockerfile, compose.yaml,
// nginx.conf, jinnang.service) and the test that validates them.
package deploy
