package deploy

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/jinnang/jinnang/portal/config"
)

// secretNames are the files an operator creates in deploy/secrets.
var secretNames = []string{"minio_root_user", "minio_root_password", "meili_master_key", "jinnang_secret_key", "metrics_token"}

// stage copies the deployment files into a temp directory with the secret
// files and an .env file, as an operator lays them out, and returns it.
func stage(t *testing.T, compose []byte, dotenv string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"compose.yaml", "nginx.conf", "Dockerfile"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if f == "compose.yaml" && compose != nil {
			b = compose
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, s := range secretNames {
		if err := os.WriteFile(filepath.Join(dir, "secrets", s), []byte("test-"+s+"-0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if dotenv != "" {
		if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(dotenv), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// loadProject loads dir/compose.yaml the way docker compose does (the .env
// file next to it, interpolation, schema validation, normalization and the
// consistency checks), without the process environment.
func loadProject(t *testing.T, dir string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, "compose.yaml")},
		cli.WithWorkingDirectory(dir),
		cli.WithEnvFiles(),
		cli.WithDotEnv,
		cli.WithConsistency(true),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

const testDotEnv = `# as an operator writes it next to compose.yaml
JINNANG_AUTH=oidc
JINNANG_BASE_URL=https://jinnang.corp.example
JINNANG_OIDC_ISSUER=https://sso.corp.example
JINNANG_OIDC_CLIENT_ID=jinnang
JINNANG_OIDC_CLIENT_SECRET=from-dotenv
`

// TestComposeProject validates compose.yaml with the Compose specification's
// own loader (github.com/compose-spec/compose-go, which docker compose uses),
// so it runs where docker has no compose plugin, and checks the production
// stack the file must describe.
func TestComposeProject(t *testing.T) {
	dir := stage(t, nil, testDotEnv)
	p, err := loadProject(t, dir)
	if err != nil {
		t.Fatalf("compose.yaml does not load: %v", err)
	}
	svc := func(name string) types.ServiceConfig {
		s, err := p.GetService(name)
		if err != nil {
			t.Fatalf("compose.yaml: %v", err)
		}
		return s
	}
	minio, meili, portal, nginx := svc("minio"), svc("meilisearch"), svc("portal"), svc("nginx")

	// Pinned versions: a dated MinIO release, an exact Meilisearch 1.x and nginx.
	pins := map[string]*regexp.Regexp{
		"minio":       regexp.MustCompile(`^minio/minio:RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$`),
		"meilisearch": regexp.MustCompile(`^getmeili/meilisearch:v1\.\d+\.\d+$`),
		"nginx":       regexp.MustCompile(`^nginx:\d+\.\d+\.\d+(-alpine)?$`),
	}
	for name, re := range pins {
		if img := svc(name).Image; !re.MatchString(img) {
			t.Errorf("%s image %q is not pinned to an exact version (%s)", name, img, re)
		}
	}

	// Data on named volumes declared at the top level.
	for name, target := range map[string]string{"minio": "/data", "meilisearch": "/meili_data", "portal": "/data"} {
		if !hasVolume(p, svc(name), target) {
			t.Errorf("%s: no named volume at %s", name, target)
		}
	}

	// Secrets are files (all present in the staged layout); the Meilisearch
	// master key comes from one and is not written into the file.
	for _, name := range secretNames {
		s, ok := p.Secrets[name]
		if !ok || s.File == "" {
			t.Errorf("secret %s is not a file secret", name)
			continue
		}
		if _, err := os.Stat(s.File); err != nil || !strings.HasPrefix(s.File, filepath.Join(dir, "secrets")) {
			t.Errorf("secret %s: file %q (%v), want one under secrets/", name, s.File, err)
		}
	}
	if !usesSecret(meili, "meili_master_key") || !strings.Contains(strings.Join(meili.Entrypoint, " "), "/run/secrets/meili_master_key") {
		t.Errorf("meilisearch does not read its master key from the secret file: entrypoint %q", meili.Entrypoint)
	}
	if _, set := meili.Environment["MEILI_MASTER_KEY"]; set {
		t.Error("meilisearch has MEILI_MASTER_KEY in its environment; it must come from the secret file")
	}
	if env(meili, "MEILI_ENV") != "production" {
		t.Errorf("meilisearch MEILI_ENV %q, want production (the master key is then required)", env(meili, "MEILI_ENV"))
	}
	for _, v := range []string{"MINIO_ROOT_USER_FILE", "MINIO_ROOT_PASSWORD_FILE"} {
		if s := env(minio, v); s == "" || !usesSecret(minio, s) {
			t.Errorf("minio %s=%q is not one of its secrets", v, s)
		}
	}

	// Two portal replicas, read-only root, non-root user, no privileges,
	// health check on /readyz, started after healthy MinIO and Meilisearch.
	if portal.Deploy == nil || portal.Deploy.Replicas == nil || *portal.Deploy.Replicas != 2 {
		t.Errorf("portal replicas: %+v, want 2", portal.Deploy)
	}
	if !portal.ReadOnly || !slices.Contains(portal.Tmpfs, "/tmp") {
		t.Errorf("portal: read_only %v, tmpfs %q; want a read-only root with a tmpfs /tmp", portal.ReadOnly, portal.Tmpfs)
	}
	if u := strings.SplitN(portal.User, ":", 2)[0]; u == "" || u == "0" || u == "root" {
		t.Errorf("portal user %q: want an unprivileged uid", portal.User)
	}
	if !slices.Contains(portal.CapDrop, "ALL") || !slices.Contains(portal.SecurityOpt, "no-new-privileges:true") {
		t.Errorf("portal: cap_drop %q, security_opt %q", portal.CapDrop, portal.SecurityOpt)
	}
	checkHealth(t, "portal", portal, "http://127.0.0.1:8080/readyz")
	checkHealth(t, "nginx", nginx, "http://127.0.0.1/readyz")
	for _, dep := range []string{"minio", "meilisearch"} {
		if d, ok := portal.DependsOn[dep]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("portal depends on %s: %+v, want service_healthy", dep, d)
		}
	}
	for _, name := range []string{"minio", "meilisearch"} {
		if h := svc(name).HealthCheck; h == nil || len(h.Test) < 2 || h.Disable {
			t.Errorf("%s has no health check", name)
		}
	}

	// The reverse proxy: the only published port, its config from the
	// repository, started after a healthy portal.
	if len(nginx.Ports) != 1 || nginx.Ports[0].Target != 80 {
		t.Errorf("nginx ports %+v, want one published port to 80", nginx.Ports)
	}
	for _, s := range []types.ServiceConfig{minio, meili, portal} {
		if len(s.Ports) > 0 {
			t.Errorf("%s publishes ports %+v; only the reverse proxy should", s.Name, s.Ports)
		}
	}
	if d, ok := nginx.DependsOn["portal"]; !ok || d.Condition != types.ServiceConditionHealthy {
		t.Errorf("nginx depends on portal: %+v, want service_healthy", d)
	}
	confMounted := false
	for _, v := range nginx.Volumes {
		if v.Type == types.VolumeTypeBind && v.Source == filepath.Join(dir, "nginx.conf") && v.ReadOnly {
			confMounted = true
		}
	}
	if !confMounted {
		t.Errorf("nginx does not mount ./nginx.conf read-only: %+v", nginx.Volumes)
	}

	// The portal's environment is a valid portal configuration: every
	// JINNANG_ variable is a real setting, the .env values are interpolated,
	// and config.Load accepts it with the secret files read.
	checkPortalEnv(t, dir, portal)
}

func hasVolume(p *types.Project, s types.ServiceConfig, target string) bool {
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeVolume && v.Target == target {
			_, declared := p.Volumes[v.Source]
			return declared
		}
	}
	return false
}

func usesSecret(s types.ServiceConfig, name string) bool {
	for _, sec := range s.Secrets {
		if sec.Source == name {
			return true
		}
	}
	return false
}

func env(s types.ServiceConfig, name string) string {
	if v := s.Environment[name]; v != nil {
		return *v
	}
	return ""
}

func checkHealth(t *testing.T, name string, s types.ServiceConfig, url string) {
	t.Helper()
	h := s.HealthCheck
	if h == nil || h.Disable || h.Interval == nil || h.Retries == nil {
		t.Errorf("%s: health check %+v, want one with an interval and retries", name, h)
		return
	}
	if !slices.Contains(h.Test, url) {
		t.Errorf("%s health check %q does not ask %s", name, h.Test, url)
	}
}

// checkPortalEnv loads the portal's compose environment with config.Load,
// secret files mapped from /run/secrets to the staged files.
func checkPortalEnv(t *testing.T, dir string, portal types.ServiceConfig) {
	t.Helper()
	known := settingNames(t)
	vars := map[string]string{}
	for k, v := range portal.Environment {
		if v == nil {
			continue
		}
		val := *v
		if rest, ok := strings.CutPrefix(val, "/run/secrets/"); ok {
			if !usesSecret(portal, rest) {
				t.Errorf("portal %s=%s, but the portal does not mount secret %s", k, val, rest)
			}
			val = filepath.Join(dir, "secrets", rest)
		}
		vars[k] = val
		if strings.HasPrefix(k, "JINNANG_") && !known[k] {
			t.Errorf("portal environment %s is not a setting of the portal", k)
		}
	}
	if vars["JINNANG_OIDC_CLIENT_SECRET"] != "from-dotenv" || vars["JINNANG_BASE_URL"] != "https://jinnang.corp.example" {
		t.Errorf("the .env values were not interpolated: %q, %q", vars["JINNANG_OIDC_CLIENT_SECRET"], vars["JINNANG_BASE_URL"])
	}
	cfg, err := config.Load([]string{"serve"}, func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		t.Fatalf("the portal rejects its compose environment: %v", err)
	}
	switch {
	case cfg.StoreBackend() != "s3" || cfg.S3Endpoint != "minio:9000":
		t.Errorf("store %s at %q, want s3 at minio:9000", cfg.StoreBackend(), cfg.S3Endpoint)
	case cfg.IndexBackend() != "meilisearch":
		t.Errorf("index backend %q, want meilisearch (two replicas cannot share bleve)", cfg.IndexBackend())
	case !strings.HasPrefix(cfg.MeiliKey, "test-meili_master_key") || !strings.HasPrefix(cfg.S3SecretKey, "test-minio_root_password"):
		t.Error("the secret files were not read")
	}
}

// settingNames lists the environment variables the portal reads, from its
// own usage text: JINNANG_<FLAG> for every flag, and <NAME>_FILE for secrets.
func settingNames(t *testing.T) map[string]bool {
	t.Helper()
	var usage strings.Builder
	if _, err := config.Load([]string{"-h"}, func(string) string { return "" }, &usage); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("jinnang -h: %v, want flag.ErrHelp", err)
	}
	known := map[string]bool{}
	flagLine := regexp.MustCompile(`^\s+-([a-z0-9-]+)`)
	fileVar := regexp.MustCompile(`JINNANG_[A-Z0-9_]+_FILE`)
	sc := bufio.NewScanner(strings.NewReader(usage.String()))
	for sc.Scan() {
		if m := flagLine.FindStringSubmatch(sc.Text()); m != nil {
			known["JINNANG_"+strings.ToUpper(strings.ReplaceAll(m[1], "-", "_"))] = true
		}
		for _, v := range fileVar.FindAllString(sc.Text(), -1) {
			known[v] = true
		}
	}
	if len(known) < 20 || !known["JINNANG_S3_ENDPOINT"] || !known["JINNANG_MEILI_KEY_FILE"] {
		t.Fatalf("could not read the portal's settings from its usage text (%d found)", len(known))
	}
	return known
}

// The loader does reject what docker compose rejects: a misspelt key, a
// wrong type, a secret no one declared.
func TestComposeProjectRejectsBrokenFiles(t *testing.T) {
	orig, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string][2]string{
		"misspelt key":      {"    read_only: true\n", "    readonly: true\n"},
		"wrong type":        {"      replicas: 2\n", "      replicas: two\n"},
		"undeclared secret": {"secrets: [meili_master_key]", "secrets: [meili_master_kee]"},
		"unknown service":   {"      meilisearch:\n        condition: service_healthy", "      meili:\n        condition: service_healthy"},
	} {
		if !strings.Contains(string(orig), edit[0]) {
			t.Fatalf("%s: compose.yaml has no %q to break", name, edit[0])
		}
		dir := stage(t, []byte(strings.Replace(string(orig), edit[0], edit[1], 1)), testDotEnv)
		if _, err := loadProject(t, dir); err == nil {
			t.Errorf("%s: the broken compose file loaded", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
