package portal

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jinnang/jinnang/portal/audit"
	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/auth/dev"
	"github.com/jinnang/jinnang/portal/auth/header"
	"github.com/jinnang/jinnang/portal/auth/oidc"
	"github.com/jinnang/jinnang/portal/auth/wecom"
	"github.com/jinnang/jinnang/portal/config"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/web"
)

// Rate limits: generous for people, tight for scripts. Writes of signed-in
// people are limited per person. Sign-in and anonymous writes can only be
// limited per address, and an address may be a whole office behind one NAT:
// they are sized for 500 people arriving within a minute after a link goes
// to a WeChat group (two sign-in requests each; one suggestion each).
const (
	writesPerMinute     = 30
	writeBurst          = 10
	loginsPerMinute     = 1200
	loginBurst          = 600
	addrWritesPerMinute = 600
	addrWriteBurst      = 300
)

// wecomSignIn is what the WeCom sign-in shares with the WeCom channel: one
// access_token cache, and the synced address book for names and departments.
type wecomSignIn struct {
	tokens    *wecom.Tokens
	directory func(ctx context.Context, userID string) (name, department string, ok bool)
}

// newAuth builds sign-in, sessions, roles and the audit log from cfg.
func newAuth(ctx context.Context, cfg config.Config, st store.Store, roles *auth.Roles, wc wecomSignIn) (web.AuthOptions, error) {
	key := []byte(cfg.SecretKey)
	if len(key) == 0 {
		// Only the dev provider may run without a key (config checks that); a
		// random key means sign-in states do not survive a restart, which is fine there.
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return web.AuthOptions{}, fmt.Errorf("secret key: %w", err)
		}
	}
	opts := web.AuthOptions{
		Sessions:       auth.NewSessions(st, auth.SessionOptions{Idle: cfg.SessionIdle, Absolute: cfg.SessionAbsolute}),
		States:         auth.NewStateCodec(key, st, time.Now),
		Users:          auth.NewUsers(st, time.Now),
		Grants:         auth.NewGrants(st),
		Audit:          audit.New(st, time.Now),
		Roles:          roles,
		SecureCookies:  cfg.SecureCookies(),
		LinkKey:        key,
		SessionMaxAge:  cfg.SessionAbsolute,
		WriteLimit:     auth.NewLimiter(writesPerMinute, writeBurst, time.Now),
		LoginLimit:     auth.NewLimiter(loginsPerMinute, loginBurst, time.Now),
		AddrLimit:      auth.NewLimiter(addrWritesPerMinute, addrWriteBurst, time.Now),
		TrustedProxies: cfg.TrustedProxies,
	}
	callback := strings.TrimSuffix(cfg.BaseURL, "/") + "/auth/callback"
	var err error
	switch cfg.Auth {
	case "wecom":
		opts.Provider, err = wecom.New(wecom.Config{
			CorpID: cfg.WeComCorpID, AgentID: cfg.WeComAgentID, Secret: cfg.WeComSecret,
			APIBase: cfg.WeComAPIBase, AuthBase: cfg.WeComAuthBase, RedirectURL: callback,
			Tokens: wc.tokens, Directory: wc.directory,
		})
	case "oidc":
		opts.Provider, err = oidc.New(ctx, oidc.Config{
			Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCClientID, ClientSecret: cfg.OIDCClientSecret,
			RedirectURL: callback, GroupsClaim: cfg.OIDCGroupsClaim, Key: key,
		})
	case "header":
		opts.Provider, err = header.New(header.Config{
			UserHeader: cfg.HeaderUser, NameHeader: cfg.HeaderName, GroupsHeader: cfg.HeaderGroups,
			TrustedProxies: cfg.TrustedProxies,
		})
	default:
		d := dev.New()
		opts.Provider, opts.DemoUsers = d, d.Users()
	}
	if err != nil {
		return web.AuthOptions{}, fmt.Errorf("sign-in provider %s: %w", cfg.Auth, err)
	}
	return opts, nil
}

// loadRoles reads the roles file (or the dev provider's built-in roles).
// run calls it before it opens the store, so a missing or broken file is
// reported before anything is seeded.
func loadRoles(cfg config.Config, log *slog.Logger) (*auth.Roles, error) {
	var (
		roles *auth.Roles
		err   error
	)
	switch {
	case cfg.RolesFile != "":
		roles, err = auth.LoadRoles(cfg.RolesFile)
	case cfg.Auth == "dev":
		roles, err = auth.ParseRoles("dev roles", []byte(dev.RolesYAML))
	default:
		log.Warn("no roles file: everyone is an employee; set JINNANG_ROLES_FILE to name admins and editors")
		roles, err = auth.LoadRoles("")
	}
	if err != nil {
		return nil, fmt.Errorf("roles: %w", err)
	}
	return roles, nil
}

// sweep deletes expired sessions and sign-in states.
func sweep(ctx context.Context, s *auth.Sessions, states *auth.StateCodec, log *slog.Logger) error {
	n, err := s.Sweep(ctx)
	if err != nil {
		err = fmt.Errorf("session sweep: %w", err)
	} else if n > 0 {
		log.Info("expired sessions removed", "sessions", n)
	}
	if _, serr := states.Sweep(ctx); serr != nil {
		err = errors.Join(err, fmt.Errorf("sign-in state sweep: %w", serr))
	}
	return err
}
