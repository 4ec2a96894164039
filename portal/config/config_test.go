package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envMap(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	c, err := Load(nil, envMap(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Command != CmdServe || c.Addr != "localhost:8080" || c.StoreBackend() != "disk" ||
		c.IndexBackend() != "bleve" || !c.Seed || c.ShutdownTimeout != 15*time.Second || c.ReportsToHide != 3 {
		t.Errorf("unexpected defaults: %+v", c)
	}
}

func TestLoadEnvFlagsAndCommands(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := envMap(map[string]string{
		"JINNANG_ADDR":               "0.0.0.0:9000",
		"JINNANG_S3_ENDPOINT":        "minio:9000",
		"JINNANG_S3_ACCESS_KEY":      "jinnang",
		"JINNANG_S3_SECRET_KEY_FILE": secret,
		"JINNANG_MEILI_URL":          "http://meili:7700",
		"JINNANG_SEED":               "false",
		"JINNANG_AUTH":               "header",
		"JINNANG_TRUSTED_PROXIES":    "10.0.0.0/8, 192.168.1.7",
	})
	dir := t.TempDir()
	c, err := Load([]string{"-log-level", "debug", "import", dir, "-log-format", "json"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || c.S3SecretKey != "s3cr3t" || c.StoreBackend() != "s3" ||
		c.IndexBackend() != "meilisearch" || c.Seed || c.LogLevel != "debug" || c.LogFormat != "json" {
		t.Errorf("env and flags not applied: %+v", c)
	}
	if len(c.TrustedProxies) != 2 || c.TrustedProxies[1].String() != "192.168.1.7/32" || !c.SecureCookies() {
		t.Errorf("trusted proxies %v, secure cookies %v", c.TrustedProxies, c.SecureCookies())
	}
	if c.Command != CmdImport || len(c.Args) != 1 || c.Args[0] != dir {
		t.Errorf("command = %q %q", c.Command, c.Args)
	}
	// A flag beats the environment.
	c, err = Load([]string{"-addr", "127.0.0.1:1"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:1" {
		t.Errorf("flag did not override env: %s", c.Addr)
	}
}

func TestLoadRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown command", []string{"frobnicate"}, nil, `unknown command "frobnicate"`},
		{"import without dir", []string{"import"}, nil, "import needs exactly one directory"},
		{"reindex with args", []string{"reindex", "x"}, nil, "reindex takes no arguments"},
		{"backup without file", []string{"backup"}, nil, "backup needs exactly one file"},
		{"restore of a missing file", []string{"restore", "/no/such/backup.tar.zst"}, nil, "restore /no/such/backup.tar.zst: no such file"},
		{"restore of a directory", []string{"restore", "."}, nil, "is a directory, not a backup file"},
		{"bad addr", []string{"-addr", "8080"}, nil, `addr "8080" is not host:port`},
		{"s3 without keys", nil, map[string]string{"JINNANG_S3_ENDPOINT": "minio:9000"}, "s3-access-key and s3-secret-key are required"},
		{"s3 with scheme", []string{"-s3-endpoint", "http://minio:9000", "-s3-access-key", "a", "-s3-secret-key", "b"}, nil, "without a scheme"},
		{"bad bucket", []string{"-s3-endpoint", "m:1", "-s3-access-key", "a", "-s3-secret-key", "b", "-s3-bucket", "Bad_Bucket"}, nil, "not a valid bucket name"},
		{"bad meili url", []string{"-meili-url", "meili:7700"}, nil, "must be an http(s) URL"},
		{"bad log level", []string{"-log-level", "loud"}, nil, `log-level "loud"`},
		{"bad bool env", nil, map[string]string{"JINNANG_SEED": "maybe"}, `JINNANG_SEED="maybe" is not a boolean`},
		{"secret twice", nil, map[string]string{"JINNANG_MEILI_KEY": "a", "JINNANG_MEILI_KEY_FILE": "/x"}, "not both"},
		{"dev on a public address", []string{"-addr", "0.0.0.0:8080"}, nil, "only runs on a loopback address"},
		{"unknown provider", []string{"-auth", "ldap"}, nil, `auth "ldap"`},
		{"wecom without settings", []string{"-auth", "wecom"}, nil, "needs base-url"},
		{"wecom without corp", []string{"-auth", "wecom", "-base-url", "https://j.example.com", "-secret-key", strings.Repeat("k", 32)}, nil, "wecom-corp-id"},
		{"oidc short key", []string{"-auth", "oidc", "-base-url", "https://j.example.com", "-secret-key", "short", "-oidc-issuer", "https://idp", "-oidc-client-id", "x"}, nil, "at least 32 bytes"},
		{"header without proxies", []string{"-auth", "header"}, nil, "needs trusted-proxies"},
		{"bad proxy", []string{"-trusted-proxies", "nonsense"}, nil, `"nonsense" is not an address or CIDR`},
		{"http base url", []string{"-base-url", "http://j.example.com"}, nil, "must use https"},
		{"idle above absolute", []string{"-session-idle", "48h", "-session-absolute", "24h"}, nil, "idle ≤ absolute"},
		{"reports to hide zero", []string{"-reports-to-hide", "0"}, nil, "reports-to-hide must be between 1 and 100"},
		{"reports to hide env", nil, map[string]string{"JINNANG_REPORTS_TO_HIDE": "three"}, `JINNANG_REPORTS_TO_HIDE="three" is not a whole number`},
		{"import a missing dir", []string{"import", "/nonexistent/packs"}, nil, "import /nonexistent/packs: no such file or directory"},
		{"missing roles file", []string{"-roles-file", "/nonexistent/roles.yaml"}, nil, "roles-file /nonexistent/roles.yaml: no such file or directory"},
		{"negative timeout", []string{"-store-timeout", "-1s"}, nil, "must not be negative"},
		{"missing secret file", nil, map[string]string{"JINNANG_MEILI_KEY_FILE": "/nonexistent/key"}, "JINNANG_MEILI_KEY_FILE"},
		{"wecom app half set", []string{"-wecom-corp-id", "ww1"}, nil, "needs all of wecom-corp-id, wecom-agent-id and wecom-secret"},
		{"wecom app without base url", []string{"-wecom-corp-id", "ww1", "-wecom-agent-id", "1000002", "-wecom-secret", "s"}, nil, "set base-url"},
		{"wecom agent not numeric", []string{"-wecom-corp-id", "ww1", "-wecom-agent-id", "app", "-wecom-secret", "s", "-base-url", "https://j.example.com"}, nil, "numeric AgentId"},
		{"wecom token without key", []string{"-wecom-token", "abc123"}, nil, "needs both wecom-token and wecom-aes-key"},
		{"wecom callback without app", []string{"-wecom-token", "abc123", "-wecom-aes-key", strings.Repeat("a", 43)}, nil, "need wecom-corp-id"},
		{"wecom bad aes key", []string{"-wecom-corp-id", "ww1", "-wecom-agent-id", "1000002", "-wecom-secret", "s", "-base-url", "https://j.example.com",
			"-wecom-token", "abc123", "-wecom-aes-key", "short"}, nil, "43-character EncodingAESKey"},
		{"wecom bad token", []string{"-wecom-corp-id", "ww1", "-wecom-agent-id", "1000002", "-wecom-secret", "s", "-base-url", "https://j.example.com",
			"-wecom-token", "a!", "-wecom-aes-key", strings.Repeat("a", 43)}, nil, "3–32 letters or digits"},
		{"wecom sync too often", []string{"-wecom-sync-interval", "1m"}, nil, "at least 10m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.args, envMap(tc.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	_, err := Load([]string{"-addr", "nope", "-log-format", "xml"}, envMap(nil), io.Discard)
	if err == nil {
		t.Fatal("want error")
	}
	for _, want := range []string{"addr", "log-format"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// TestOneRound: a bad flag, bad variables and inconsistent settings are all
// reported by one Load, not one kind per run.
func TestOneRound(t *testing.T) {
	env := envMap(map[string]string{"JINNANG_SEED": "maybe", "JINNANG_STORE_TIMEOUT": "soon"})
	_, err := Load([]string{"-addr", "nope", "-log-format", "xml"}, env, io.Discard)
	for _, want := range []string{"JINNANG_SEED", "JINNANG_STORE_TIMEOUT", "addr \"nope\"", "log-format"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	_, err = Load([]string{"-no-such-flag"}, env, io.Discard)
	for _, want := range []string{"no-such-flag", "JINNANG_SEED", "JINNANG_STORE_TIMEOUT"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad flag: error %v lacks %q", err, want)
		}
	}
}

func TestUnknownEnv(t *testing.T) {
	got := Unknown([]string{"JINNANG_ADRR=:8080", "JINNANG_ADDR=:8080", "JINNANG_S3_SECRET_KEY_FILE=/x",
		"JINNANG_STORE_TIMEOUT=3s", "JINNANG_COLOUR=blue", "PATH=/bin", "JINNANG_MINIO_BIN=/m"})
	want := []string{"JINNANG_ADRR (did you mean JINNANG_ADDR?)", "JINNANG_COLOUR"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Unknown = %q, want %q", got, want)
	}
}

func TestDemoAndCookies(t *testing.T) {
	c, err := Load([]string{"-addr", "0.0.0.0:8080", "-demo"}, envMap(nil), io.Discard)
	if err != nil {
		t.Fatalf("dev with -demo on a public address: %v", err)
	}
	if !c.SecureCookies() {
		t.Error("a public address must use Secure cookies")
	}
	c, err = Load([]string{"-addr", "127.0.0.1:8080"}, envMap(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.SecureCookies() {
		t.Error("plain http on loopback cannot use Secure cookies")
	}
	c, err = Load([]string{"-auth", "oidc", "-addr", "0.0.0.0:8080", "-base-url", "https://j.example.com",
		"-secret-key", strings.Repeat("k", 32), "-oidc-issuer", "https://idp.example.com", "-oidc-client-id", "jinnang"}, envMap(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !c.SecureCookies() {
		t.Error("https base-url must use Secure cookies")
	}
}

func TestWeComChannelSettings(t *testing.T) {
	c, err := Load([]string{"-wecom-corp-id", "ww1", "-wecom-agent-id", "1000002", "-base-url", "https://j.example.com"},
		envMap(map[string]string{"JINNANG_WECOM_SECRET": "s", "JINNANG_WECOM_TOKEN": "QDG6eK",
			"JINNANG_WECOM_AES_KEY": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "JINNANG_WECOM_SYNC_INTERVAL": "0"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !c.WeComApp() || !c.WeComCallback() || c.WeComSyncInterval != 0 || c.Auth != "dev" {
		t.Errorf("%+v: want the WeCom app and callback on with the dev sign-in, sync on demand only", c)
	}
	d, err := Load(nil, envMap(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if d.WeComApp() || d.WeComCallback() || d.WeComSyncInterval != 6*time.Hour {
		t.Errorf("defaults: app %v, callback %v, sync %v", d.WeComApp(), d.WeComCallback(), d.WeComSyncInterval)
	}
}
