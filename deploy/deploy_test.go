package deploy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

// TestComposeConfig validates compose.yaml with docker compose (images are
// not pulled) where the compose plugin exists. It copies the files into a
// temp directory with dummy secret files and an .env, as an operator would
// create them. Without the plugin, TestComposeProject still validates the
// file with the Compose specification's loader.
func TestComposeConfig(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("SKIP: docker is not on PATH; compose.yaml is not validated")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, docker, "compose", "version").CombinedOutput(); err != nil {
		t.Skipf("SKIP: docker compose is not available (%v: %s); compose.yaml is not validated", err, strings.TrimSpace(string(out)))
	}
	dir := stage(t, nil, testDotEnv)
	cmd := exec.CommandContext(ctx, docker, "compose", "-f", filepath.Join(dir, "compose.yaml"), "config")
	cmd.Env = append(os.Environ(), "JINNANG_AUTH=oidc", "JINNANG_BASE_URL=https://jinnang.example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker compose config: %v\n%s", err, out)
	}
	for _, want := range []string{"minio/minio:RELEASE.", "getmeili/meilisearch:v1.", "replicas: 2", "/readyz", "read_only: true"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("resolved compose config lacks %q", want)
		}
	}
}

// The image must not run as root and must write only to its volume.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{"CGO_ENABLED=0", "USER 10001", `VOLUME ["/data"]`, "/readyz", "AS build"} {
		if !strings.Contains(s, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}

// Without docker, at least the structure: every service's image is pinned,
// two portal replicas, health checks on /readyz, secrets from files.
func TestComposeStructure(t *testing.T) {
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Image       string         `yaml:"image"`
			ReadOnly    bool           `yaml:"read_only"`
			Healthcheck map[string]any `yaml:"healthcheck"`
			Deploy      struct {
				Replicas int `yaml:"replicas"`
			} `yaml:"deploy"`
		} `yaml:"services"`
		Secrets map[string]struct {
			File string `yaml:"file"`
		} `yaml:"secrets"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, name := range []string{"minio", "meilisearch", "portal", "nginx"} {
		s, ok := c.Services[name]
		if !ok {
			t.Errorf("no %s service", name)
			continue
		}
		if s.Healthcheck == nil {
			t.Errorf("%s has no health check", name)
		}
		if name != "portal" && (!strings.Contains(s.Image, ":") || strings.HasSuffix(s.Image, ":latest")) {
			t.Errorf("%s image %q is not pinned", name, s.Image)
		}
	}
	p := c.Services["portal"]
	if p.Deploy.Replicas != 2 || !p.ReadOnly || !strings.Contains(strings.Join(strings.Fields(strings.TrimSpace(toString(p.Healthcheck["test"]))), " "), "/readyz") {
		t.Errorf("portal: replicas %d, read_only %v, health check %v", p.Deploy.Replicas, p.ReadOnly, p.Healthcheck["test"])
	}
	if c.Secrets["meili_master_key"].File == "" {
		t.Error("the Meilisearch master key is not a secret file")
	}
}

func toString(v any) string {
	switch v := v.(type) {
	case []any:
		var parts []string
		for _, p := range v {
			parts = append(parts, toString(p))
		}
		return strings.Join(parts, " ")
	case string:
		return v
	}
	return ""
}
