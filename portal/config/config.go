// Package config holds Jinnang's one configuration struct, filled from
// command-line flags and JINNANG_* environment variables and validated once.
package config

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Commands accepted on the command line.
const (
	CmdServe   = "serve"
	CmdImport  = "import"
	CmdReindex = "reindex"
	CmdBackup  = "backup"  // backup FILE: the whole store as one archive
	CmdRestore = "restore" // restore FILE: into an empty store, then reindex
)

// Config is the whole configuration. Zero values are never used directly:
// Load fills defaults and Validate checks the result.
type Config struct {
	Command string   // serve (default), import, reindex
	Args    []string // positional arguments of the command (import DIR)

	Addr    string // listen address
	DataDir string // disk store and bleve index live here (embedded backends)
	Seed    bool   // import the bundled content when the store has no packs
	// DemoContent also seeds demo stories, a poll, an announcement and a
	// suggestion box on that first run (content/demo/demo.yaml).
	DemoContent bool
	Dev         bool // read templates and assets from disk on each request

	S3Endpoint  string // host:port of MinIO/S3; empty selects the disk store
	S3AccessKey string
	S3SecretKey string
	S3Bucket    string
	S3Region    string
	S3TLS       bool
	// PresignDownloads sends file downloads straight to MinIO with a
	// short-lived presigned URL instead of streaming them through the portal.
	PresignDownloads bool

	MeiliURL   string // empty selects the embedded bleve index
	MeiliKey   string
	MeiliIndex string

	Auth      string // sign-in provider: dev, wecom, oidc, header
	Demo      bool   // allow the dev provider on a non-loopback address
	BaseURL   string // public URL of the portal, e.g. https://jinnang.example.com
	SecretKey string // HMAC key for sign-in state (≥32 bytes); random per start when empty with dev
	RolesFile string // YAML mapping of users and groups to roles and departments
	CardFont  string // font with Chinese glyphs for share cards; "" searches the system

	// ReportsToHide is how many distinct reports hide a story until a moderator looks.
	ReportsToHide int
	// StaleMonths is how long after its last check a pack shows 内容可能已过时.
	StaleMonths int
	// VideoMaxSeconds and VideoMaxMB bound an uploaded video (and voice note);
	// VideoQueue is how many transcodes may wait at once (then 503).
	VideoMaxSeconds, VideoMaxMB, VideoQueue int

	SessionIdle     time.Duration
	SessionAbsolute time.Duration

	WeComCorpID   string
	WeComAgentID  string
	WeComSecret   string
	WeComAPIBase  string
	WeComAuthBase string
	// WeComToken and WeComAESKey are the app's receive-message settings
	// (Token, EncodingAESKey): they turn on the callback and keyword bot.
	WeComToken  string
	WeComAESKey string
	// WeComSyncInterval is how often the address book is synced; 0 turns
	// the schedule off (admins can still sync on demand).
	WeComSyncInterval time.Duration

	OIDCIssuer       string
	OIDCClientID     string
	OIDCClientSecret string
	OIDCGroupsClaim  string

	HeaderUser     string
	HeaderName     string
	HeaderGroups   string
	TrustedProxies []netip.Prefix

	// MetricsToken is the bearer token /metrics asks for; empty: no /metrics.
	MetricsToken string

	LogLevel  string // debug, info, warn, error
	LogFormat string // text or json

	ShutdownTimeout time.Duration

	// StoreTimeout and IndexTimeout bound how long one store or index call
	// may keep a request waiting on the backend (calls.Deadline): a frozen
	// MinIO or Meilisearch then gives a 503 instead of a hung page.
	StoreTimeout time.Duration
	IndexTimeout time.Duration
}

// StoreBackend names the selected store backend: "s3" or "disk".
func (c Config) StoreBackend() string {
	if c.S3Endpoint != "" {
		return "s3"
	}
	return "disk"
}

// IndexBackend names the selected index backend: "meilisearch" or "bleve".
func (c Config) IndexBackend() string {
	if c.MeiliURL != "" {
		return "meilisearch"
	}
	return "bleve"
}

// Getenv looks up an environment variable; os.Getenv in production, a map in tests.
type Getenv func(string) string

// Load parses args (without the program name) over defaults taken from the
// environment, then validates. Flags may appear before or after the command:
//
//	jinnang [flags] [serve|import DIR|reindex|backup FILE|restore FILE] [flags]
func Load(args []string, getenv Getenv, stderr io.Writer) (Config, error) {
	return load(args, &envReader{get: getenv}, stderr)
}

func load(args []string, env *envReader, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("jinnang", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "用法 Usage: jinnang [flags] [serve | import DIR | reindex | backup FILE | restore FILE]\n\n")
		fmt.Fprintf(stderr, "Every flag can also be set as JINNANG_<NAME> (e.g. JINNANG_ADDR); secrets also as JINNANG_<NAME>_FILE.\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.Addr, "addr", env.str("ADDR", "localhost:8080"), "listen address")
	fs.StringVar(&c.DataDir, "data-dir", env.str("DATA_DIR", "data"), "directory for the embedded disk store and bleve index")
	fs.BoolVar(&c.Seed, "seed", env.bool("SEED", true), "import the bundled sample packs when the store has none")
	// JINNANG_DEMO=0 (an explicit no to demos) also turns the demo content off.
	fs.BoolVar(&c.DemoContent, "demo-content", env.bool("DEMO_CONTENT", env.get("JINNANG_DEMO") != "0"), "on the first run also seed demo stories, a poll, an announcement and a suggestion box (marked 【示例】)")
	fs.BoolVar(&c.Dev, "dev", env.bool("DEV", false), "development mode: read templates/ and assets/ from disk")
	fs.StringVar(&c.S3Endpoint, "s3-endpoint", env.str("S3_ENDPOINT", ""), "MinIO/S3 endpoint host:port; empty uses the disk store")
	fs.StringVar(&c.S3AccessKey, "s3-access-key", env.secret("S3_ACCESS_KEY"), "MinIO/S3 access key (or JINNANG_S3_ACCESS_KEY_FILE)")
	fs.StringVar(&c.S3SecretKey, "s3-secret-key", env.secret("S3_SECRET_KEY"), "MinIO/S3 secret key (or JINNANG_S3_SECRET_KEY_FILE)")
	fs.StringVar(&c.S3Bucket, "s3-bucket", env.str("S3_BUCKET", "jinnang"), "bucket name (created if missing)")
	fs.StringVar(&c.S3Region, "s3-region", env.str("S3_REGION", "us-east-1"), "bucket region")
	fs.BoolVar(&c.S3TLS, "s3-tls", env.bool("S3_TLS", false), "use HTTPS to reach MinIO/S3")
	fs.BoolVar(&c.PresignDownloads, "s3-presign-downloads", env.bool("S3_PRESIGN_DOWNLOADS", false), "answer file downloads with a 10-minute presigned MinIO URL (MinIO must be reachable by browsers)")
	fs.StringVar(&c.MeiliURL, "meili-url", env.str("MEILI_URL", ""), "Meilisearch URL, e.g. http://127.0.0.1:7700; empty uses the embedded bleve index")
	fs.StringVar(&c.MeiliKey, "meili-key", env.secret("MEILI_KEY"), "Meilisearch API key (or JINNANG_MEILI_KEY_FILE)")
	fs.StringVar(&c.MeiliIndex, "meili-index", env.str("MEILI_INDEX", "jinnang"), "Meilisearch index uid")
	fs.StringVar(&c.Auth, "auth", env.str("AUTH", "dev"), "sign-in provider: dev (demo users), wecom (企业微信), oidc, header (trusted proxy)")
	fs.BoolVar(&c.Demo, "demo", env.bool("DEMO", false), "allow the dev sign-in on a non-loopback address (a public demo)")
	fs.StringVar(&c.BaseURL, "base-url", env.str("BASE_URL", ""), "public URL of the portal, e.g. https://jinnang.example.com (required for wecom and oidc)")
	fs.StringVar(&c.SecretKey, "secret-key", env.secret("SECRET_KEY"), "at least 32 bytes shared by all portal processes, signs sign-in state (or JINNANG_SECRET_KEY_FILE)")
	fs.StringVar(&c.RolesFile, "roles-file", env.str("ROLES_FILE", ""), "YAML file mapping users and IdP groups to roles and departments")
	fs.StringVar(&c.CardFont, "card-font", env.str("CARD_FONT", ""), "TTF/OTF/TTC font with Chinese glyphs for share-card titles; empty searches the system font paths (fonts-wqy-microhei)")
	fs.IntVar(&c.ReportsToHide, "reports-to-hide", env.int("REPORTS_TO_HIDE", 3), "distinct reports that hide a story until a moderator decides")
	fs.IntVar(&c.VideoMaxSeconds, "video-max-seconds", env.int("VIDEO_MAX_SECONDS", 60), "longest video or voice note accepted, in seconds")
	fs.IntVar(&c.VideoMaxMB, "video-max-mb", env.int("VIDEO_MAX_MB", 50), "largest video upload accepted, in MB")
	fs.IntVar(&c.VideoQueue, "video-queue", env.int("VIDEO_QUEUE", 20), "transcodes that may wait at once; a full queue answers 503")
	fs.IntVar(&c.StaleMonths, "stale-months", env.int("STALE_MONTHS", 12), "months after its last check (最后核对) that a pack shows 内容可能已过时 and enters the 待核对 lists")
	fs.DurationVar(&c.SessionIdle, "session-idle", env.duration("SESSION_IDLE", 12*time.Hour), "a session ends after this long without activity")
	fs.DurationVar(&c.SessionAbsolute, "session-absolute", env.duration("SESSION_ABSOLUTE", 7*24*time.Hour), "a session ends this long after sign-in")
	fs.StringVar(&c.WeComCorpID, "wecom-corp-id", env.str("WECOM_CORP_ID", ""), "企业微信 corpid")
	fs.StringVar(&c.WeComAgentID, "wecom-agent-id", env.str("WECOM_AGENT_ID", ""), "企业微信 application agentid")
	fs.StringVar(&c.WeComSecret, "wecom-secret", env.secret("WECOM_SECRET"), "企业微信 application secret (or JINNANG_WECOM_SECRET_FILE)")
	fs.StringVar(&c.WeComAPIBase, "wecom-api-base", env.str("WECOM_API_BASE", "https://qyapi.weixin.qq.com"), "企业微信 API base URL")
	fs.StringVar(&c.WeComToken, "wecom-token", env.secret("WECOM_TOKEN"), "企业微信 receive-message Token (3–32 letters or digits; or JINNANG_WECOM_TOKEN_FILE)")
	fs.StringVar(&c.WeComAESKey, "wecom-aes-key", env.secret("WECOM_AES_KEY"), "企业微信 receive-message EncodingAESKey (43 characters; or JINNANG_WECOM_AES_KEY_FILE)")
	fs.DurationVar(&c.WeComSyncInterval, "wecom-sync-interval", env.duration("WECOM_SYNC_INTERVAL", 6*time.Hour), "how often to sync the 企业微信 address book (0: only on demand)")
	fs.StringVar(&c.WeComAuthBase, "wecom-auth-base", env.str("WECOM_AUTH_BASE", "https://open.weixin.qq.com"), "企业微信 OAuth2 authorize base URL")
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", env.str("OIDC_ISSUER", ""), "OpenID Connect issuer URL")
	fs.StringVar(&c.OIDCClientID, "oidc-client-id", env.str("OIDC_CLIENT_ID", ""), "OpenID Connect client id")
	fs.StringVar(&c.OIDCClientSecret, "oidc-client-secret", env.secret("OIDC_CLIENT_SECRET"), "OpenID Connect client secret (or JINNANG_OIDC_CLIENT_SECRET_FILE)")
	fs.StringVar(&c.OIDCGroupsClaim, "oidc-groups-claim", env.str("OIDC_GROUPS_CLAIM", "groups"), "ID-token claim holding the user's groups")
	fs.StringVar(&c.HeaderUser, "header-user", env.str("HEADER_USER", "X-Forwarded-User"), "header the trusted proxy sets to the user id")
	fs.StringVar(&c.HeaderName, "header-name", env.str("HEADER_NAME", "X-Forwarded-Name"), "header with the percent-encoded display name")
	fs.StringVar(&c.HeaderGroups, "header-groups", env.str("HEADER_GROUPS", "X-Forwarded-Groups"), "header with comma-separated groups")
	proxies := fs.String("trusted-proxies", env.str("TRUSTED_PROXIES", ""), "comma-separated addresses or CIDRs of the reverse proxies (load balancers) whose X-Forwarded-For gives the client address, and that may set the user header (auth header)")
	fs.StringVar(&c.MetricsToken, "metrics-token", env.secret("METRICS_TOKEN"), "bearer token Prometheus sends to scrape /metrics (or JINNANG_METRICS_TOKEN_FILE); empty: /metrics answers 404")
	fs.StringVar(&c.LogLevel, "log-level", env.str("LOG_LEVEL", "info"), "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", env.str("LOG_FORMAT", "text"), "text or json")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", env.duration("SHUTDOWN_TIMEOUT", 15*time.Second), "graceful shutdown limit")
	fs.DurationVar(&c.StoreTimeout, "store-timeout", env.duration("STORE_TIMEOUT", 5*time.Second), "longest wait on the store for one call (a stalled MinIO gives 503 after this); 0 turns it off")
	fs.DurationVar(&c.IndexTimeout, "index-timeout", env.duration("INDEX_TIMEOUT", 5*time.Second), "longest wait on the search index for one call; 0 turns it off")

	// The flag package stops at the first positional argument; go on parsing
	// after each one so flags may follow the command and its arguments.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return Config{}, err
			}
			// Report the bad flag together with every bad variable.
			return Config{}, errors.Join(fmt.Errorf("invalid flags:\n  %w", err), env.err())
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	for _, p := range strings.Split(*proxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				env.errs = append(env.errs, fmt.Errorf("trusted-proxies: %q is not an address or CIDR", p))
				continue
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, pfx.Masked())
	}
	c.Command = CmdServe
	if len(positional) > 0 {
		c.Command, c.Args = positional[0], positional[1:]
	}
	// One round: bad values and inconsistent settings are reported together.
	if err := errors.Join(env.err(), c.Validate()); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Unknown returns the JINNANG_* names in environ (KEY=value lines, as
// os.Environ gives) that Load does not read, each with the known name it
// most resembles when there is one ("JINNANG_ADRR (did you mean
// JINNANG_ADDR?)"), so a misspelt setting is not silently ignored.
func Unknown(environ []string) []string {
	known := map[string]bool{}
	env := envReader{get: func(name string) string { known[name] = true; return "" }}
	_, _ = load(nil, &env, io.Discard) // records every name Load reads
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "JINNANG_") || known[name] || ignoredEnv[name] {
			continue
		}
		msg, best := name, ""
		bestD := 3 // suggest only close names
		for k := range known {
			if d := distance(name, k); d < bestD || d == bestD && best != "" && k < best {
				best, bestD = k, d
			}
		}
		if best != "" {
			msg += " (did you mean " + best + "?)"
		}
		out = append(out, msg)
	}
	slices.Sort(out)
	return out
}

// ignoredEnv are JINNANG_ variables that are not settings (read by tests and
// the build).
var ignoredEnv = map[string]bool{"JINNANG_MINIO_BIN": true, "JINNANG_CHROMIUM": true}

// distance is the Levenshtein distance of two ASCII names.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Validate checks the configuration and explains every problem it finds.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	switch c.Command {
	case CmdServe, CmdReindex:
		if len(c.Args) > 0 {
			bad("%s takes no arguments, got %q", c.Command, c.Args)
		}
	case CmdImport:
		if len(c.Args) != 1 {
			bad("import needs exactly one directory: jinnang import DIR")
		} else if fi, err := os.Stat(c.Args[0]); err != nil {
			bad("import %s: %v", c.Args[0], unwrapPath(err))
		} else if !fi.IsDir() {
			bad("import %s: not a directory", c.Args[0])
		}
	case CmdBackup, CmdRestore:
		if len(c.Args) != 1 {
			bad("%s needs exactly one file: jinnang %s FILE", c.Command, c.Command)
		} else if c.Command == CmdRestore {
			if fi, err := os.Stat(c.Args[0]); err != nil {
				bad("restore %s: %v", c.Args[0], unwrapPath(err))
			} else if fi.IsDir() {
				bad("restore %s: is a directory, not a backup file", c.Args[0])
			}
		}
	default:
		bad("unknown command %q (use serve, import DIR, reindex, backup FILE or restore FILE)", c.Command)
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("addr %q is not host:port: %v", c.Addr, err)
	}
	if c.StoreBackend() == "disk" && c.DataDir == "" {
		bad("data-dir must not be empty")
	}
	if c.S3Endpoint != "" {
		if strings.Contains(c.S3Endpoint, "://") {
			bad("s3-endpoint %q must be host:port without a scheme (use -s3-tls for HTTPS)", c.S3Endpoint)
		}
		if c.S3AccessKey == "" || c.S3SecretKey == "" {
			bad("s3-endpoint is set, so s3-access-key and s3-secret-key are required (JINNANG_S3_ACCESS_KEY[_FILE], JINNANG_S3_SECRET_KEY[_FILE])")
		}
		if !validBucket(c.S3Bucket) {
			bad("s3-bucket %q is not a valid bucket name (3–63 lowercase letters, digits, '-' or '.')", c.S3Bucket)
		}
	}
	if c.PresignDownloads && c.S3Endpoint == "" {
		bad("s3-presign-downloads needs the S3 store (s3-endpoint)")
	}
	if c.MeiliURL != "" {
		u, err := url.Parse(c.MeiliURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("meili-url %q must be an http(s) URL such as http://127.0.0.1:7700", c.MeiliURL)
		}
		if c.MeiliIndex == "" {
			bad("meili-index must not be empty")
		}
	}
	c.validateAuth(bad)
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log-level %q: use debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		bad("log-format %q: use text or json", c.LogFormat)
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdown-timeout must be positive")
	}
	if c.StoreTimeout < 0 || c.IndexTimeout < 0 {
		bad("store-timeout and index-timeout must not be negative (0 turns the limit off)")
	}
	if c.RolesFile != "" {
		if fi, err := os.Stat(c.RolesFile); err != nil {
			bad("roles-file %s: %v", c.RolesFile, unwrapPath(err))
		} else if fi.IsDir() {
			bad("roles-file %s: is a directory, not a YAML file", c.RolesFile)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid configuration:\n  %w", joinIndented(errs))
	}
	return nil
}

// unwrapPath drops the path from an *fs.PathError (the message names it already).
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Loopback reports whether the listen address only accepts local connections.
func (c Config) Loopback() bool {
	host, _, err := net.SplitHostPort(c.Addr)
	return err == nil && isLoopbackHost(host)
}

// SecureCookies reports whether cookies carry Secure (and the __Host- prefix):
// always, except for plain HTTP on a loopback address (go run .).
func (c Config) SecureCookies() bool {
	if c.BaseURL != "" {
		return strings.HasPrefix(c.BaseURL, "https://")
	}
	return !c.Loopback()
}

func (c Config) validateAuth(bad func(string, ...any)) {
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || (u.Path != "" && u.Path != "/"):
			bad("base-url %q must be like https://jinnang.example.com (no path)", c.BaseURL)
		case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
			bad("base-url %q must use https (cookies are Secure); plain http is only for localhost", c.BaseURL)
		}
	}
	if c.SecretKey != "" && len(c.SecretKey) < 32 {
		bad("secret-key must be at least 32 bytes (e.g. openssl rand -base64 48)")
	}
	needURLAndKey := func() {
		if c.BaseURL == "" {
			bad("auth %s needs base-url (its callback is <base-url>/auth/callback)", c.Auth)
		}
		if c.SecretKey == "" {
			bad("auth %s needs secret-key (JINNANG_SECRET_KEY_FILE), shared by all portal processes", c.Auth)
		}
	}
	switch c.Auth {
	case "dev":
		if !c.Loopback() && !c.Demo {
			bad("auth dev lets anyone pick a demo user: it only runs on a loopback address (-addr localhost:8080) unless -demo is set")
		}
	case "wecom":
		needURLAndKey()
		if c.WeComCorpID == "" || c.WeComAgentID == "" || c.WeComSecret == "" {
			bad("auth wecom needs wecom-corp-id, wecom-agent-id and wecom-secret (JINNANG_WECOM_SECRET_FILE)")
		}
	case "oidc":
		needURLAndKey()
		if c.OIDCIssuer == "" || c.OIDCClientID == "" {
			bad("auth oidc needs oidc-issuer and oidc-client-id")
		}
	case "header":
		if len(c.TrustedProxies) == 0 {
			bad("auth header needs trusted-proxies: only those peers may set %s", c.HeaderUser)
		}
		if c.HeaderUser == "" {
			bad("header-user must not be empty")
		}
	default:
		bad("auth %q: use dev, wecom, oidc or header", c.Auth)
	}
	if c.VideoMaxSeconds < 1 || c.VideoMaxSeconds > 600 || c.VideoMaxMB < 1 || c.VideoMaxMB > 2000 || c.VideoQueue < 1 {
		bad("video-max-seconds must be 1 to 600, video-max-mb 1 to 2000 and video-queue at least 1")
	}
	if c.StaleMonths < 1 || c.StaleMonths > 120 {
		bad("stale-months must be between 1 and 120")
	}
	c.validateWeCom(bad)
	if c.ReportsToHide < 1 || c.ReportsToHide > 100 {
		bad("reports-to-hide must be between 1 and 100")
	}
	if c.SessionIdle <= 0 || c.SessionAbsolute <= 0 || c.SessionIdle > c.SessionAbsolute {
		bad("session-idle and session-absolute must be positive, idle ≤ absolute")
	}
}

// WeComApp reports whether the WeCom app is configured (corp id, agent id
// and secret): application messages and directory sync then run, whatever
// the sign-in provider.
func (c Config) WeComApp() bool {
	return c.WeComCorpID != "" && c.WeComAgentID != "" && c.WeComSecret != ""
}

// WeComCallback reports whether the receive-message callback is configured.
func (c Config) WeComCallback() bool { return c.WeComToken != "" && c.WeComAESKey != "" }

func (c Config) validateWeCom(bad func(string, ...any)) {
	some := c.WeComCorpID != "" || c.WeComAgentID != "" || c.WeComSecret != ""
	if some && !c.WeComApp() && c.Auth != "wecom" {
		bad("wecom needs all of wecom-corp-id, wecom-agent-id and wecom-secret (JINNANG_WECOM_SECRET_FILE)")
	}
	if c.WeComApp() && c.BaseURL == "" && c.Auth != "wecom" {
		bad("wecom messages link to the portal: set base-url (e.g. https://jinnang.example.com)")
	}
	if c.WeComAgentID != "" {
		if n, err := strconv.Atoi(c.WeComAgentID); err != nil || n <= 0 {
			bad("wecom-agent-id %q must be the app's numeric AgentId", c.WeComAgentID)
		}
	}
	if (c.WeComToken != "") != (c.WeComAESKey != "") {
		bad("the wecom callback needs both wecom-token and wecom-aes-key (the Token and EncodingAESKey of the app's 接收消息 settings)")
	}
	if c.WeComCallback() {
		if !c.WeComApp() {
			bad("wecom-token and wecom-aes-key need wecom-corp-id, wecom-agent-id and wecom-secret too")
		}
		if !validWeComToken(c.WeComToken) {
			bad("wecom-token must be 3–32 letters or digits")
		}
		if !validAESKey(c.WeComAESKey) {
			bad("wecom-aes-key must be the 43-character EncodingAESKey from the WeCom console")
		}
	}
	if c.WeComSyncInterval != 0 && c.WeComSyncInterval < 10*time.Minute {
		bad("wecom-sync-interval must be 0 (off) or at least 10m")
	}
}

func validWeComToken(t string) bool {
	if len(t) < 3 || len(t) > 32 {
		return false
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func validAESKey(k string) bool {
	if len(k) != 43 {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(k + "=")
	return err == nil && len(b) == 32
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}

func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	for i, r := range b {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case (r == '-' || r == '.') && i > 0 && i < len(b)-1:
		default:
			return false
		}
	}
	return true
}

type indented []error

func (e indented) Error() string {
	s := make([]string, len(e))
	for i, err := range e {
		s[i] = err.Error()
	}
	return strings.Join(s, "\n  ")
}

func (e indented) Unwrap() []error { return e }

func joinIndented(errs []error) error { return indented(errs) }

// envReader reads JINNANG_* variables and remembers every malformed one.
type envReader struct {
	get  Getenv
	errs []error
}

func (e *envReader) str(name, def string) string {
	if v := e.get("JINNANG_" + name); v != "" {
		return v
	}
	return def
}

func (e *envReader) bool(name string, def bool) bool {
	v := e.get("JINNANG_" + name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("JINNANG_%s=%q is not a boolean (use true or false)", name, v))
		return def
	}
	return b
}

func (e *envReader) int(name string, def int) int {
	v := e.get("JINNANG_" + name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("JINNANG_%s=%q is not a whole number", name, v))
		return def
	}
	return n
}

func (e *envReader) duration(name string, def time.Duration) time.Duration {
	v := e.get("JINNANG_" + name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("JINNANG_%s=%q is not a duration (e.g. 15s)", name, v))
		return def
	}
	return d
}

// secret reads JINNANG_NAME, or the file named by JINNANG_NAME_FILE (trailing
// newline trimmed). Setting both is an error, so a stale value cannot win silently.
func (e *envReader) secret(name string) string {
	v := e.get("JINNANG_" + name)
	file := e.get("JINNANG_" + name + "_FILE")
	if file == "" {
		return v
	}
	if v != "" {
		e.errs = append(e.errs, fmt.Errorf("set either JINNANG_%s or JINNANG_%s_FILE, not both", name, name))
		return v
	}
	b, err := os.ReadFile(file)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("JINNANG_%s_FILE: %w", name, err))
		return ""
	}
	return strings.TrimRight(string(b), "\r\n")
}

func (e *envReader) err() error {
	if len(e.errs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid environment:\n  %w", joinIndented(e.errs))
}

// ErrHelp is returned by Load when -h or -help was given.
var ErrHelp = flag.ErrHelp
