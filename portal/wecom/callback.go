package wecom

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Callback protocol limits.
const (
	// ReplayWindow is how far a callback's timestamp may be from now.
	ReplayWindow = 5 * time.Minute
	// replyBudget is how long the bot may take: WeCom waits 5 s for the
	// passive reply, then retries; network and crypto need the rest.
	replyBudget = 3500 * time.Millisecond
	noncePrefix = "wecom/nonces/"
	nonceBucket = "2006010215" // one prefix per hour
	sweepHours  = 48
)

// ErrReplay means a callback's nonce was seen before, or its timestamp is
// outside the replay window.
var ErrReplay = errors.New("wecom: callback replayed or stale")

// Responder answers a member's message or event; a nil reply answers
// nothing (WeCom then shows no reply).
type Responder interface {
	Respond(ctx context.Context, in *Incoming) (*Reply, error)
}

// CallbackOptions tune a Callback.
type CallbackOptions struct {
	Now func() time.Time
	Log *slog.Logger
}

// Callback is the app's receive-message URL (接收消息): it checks the
// signature, the timestamp window and a nonce cache kept in the store (so
// every portal process sees every nonce), decrypts, asks the Responder and
// encrypts the passive reply.
type Callback struct {
	crypto *Crypto
	st     store.Store
	bot    Responder
	now    func() time.Time
	log    *slog.Logger
}

// NewCallback returns the callback of the app whose settings crypto holds.
func NewCallback(crypto *Crypto, st store.Store, bot Responder, opts CallbackOptions) *Callback {
	cb := &Callback{crypto: crypto, st: st, bot: bot, now: opts.Now, log: opts.Log}
	if cb.now == nil {
		cb.now = time.Now
	}
	if cb.log == nil {
		cb.log = slog.Default()
	}
	return cb
}

// Verify answers WeCom's URL check (GET): the decrypted echostr.
func (cb *Callback) Verify(ctx context.Context, q url.Values) ([]byte, error) {
	sig, ts, nonce, echo := q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), q.Get("echostr")
	if echo == "" {
		return nil, fmt.Errorf("%w: no echostr", ErrMalformed)
	}
	if err := cb.crypto.verify(sig, ts, nonce, echo); err != nil {
		return nil, err
	}
	if err := cb.fresh(ctx, ts, nonce); err != nil {
		return nil, err
	}
	return cb.crypto.Decrypt(echo)
}

// Receive handles an encrypted message POST and returns the encrypted
// reply, or nil to answer with an empty body.
func (cb *Callback) Receive(ctx context.Context, q url.Values, body []byte) ([]byte, error) {
	sig, ts, nonce := q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce")
	plain, err := cb.crypto.DecryptMessage(sig, ts, nonce, body)
	if err != nil {
		return nil, err
	}
	if err := cb.fresh(ctx, ts, nonce); err != nil {
		return nil, err
	}
	in, err := ParseMessage(plain)
	if err != nil {
		return nil, err
	}
	if in.ToUserName != cb.crypto.receiveID {
		return nil, ErrReceiver
	}
	bctx, cancel := context.WithTimeout(ctx, replyBudget)
	defer cancel()
	rep, err := cb.bot.Respond(bctx, in)
	if err != nil {
		return nil, fmt.Errorf("wecom callback: respond to %s: %w", in.FromUserName, err)
	}
	if rep == nil || in.FromUserName == "" {
		return nil, nil
	}
	msg, err := rep.Marshal(in.FromUserName, cb.crypto.receiveID, cb.now())
	if err != nil {
		return nil, fmt.Errorf("wecom callback: reply: %w", err)
	}
	return cb.crypto.EncryptReply(msg, strconv.FormatInt(cb.now().Unix(), 10), replyNonce())
}

// replyNonce is a random decimal nonce for a reply envelope.
func replyNonce() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return strconv.FormatUint(binary.BigEndian.Uint64(b)%1e10, 10)
}

// fresh checks the timestamp window and records the nonce once
// (create-once in the store); a second sight is ErrReplay.
func (cb *Callback) fresh(ctx context.Context, ts, nonce string) error {
	t, ok := timestampOf(ts)
	if !ok || nonce == "" {
		return fmt.Errorf("%w: timestamp %q, nonce %q", ErrMalformed, ts, nonce)
	}
	if d := cb.now().Sub(t); d > ReplayWindow || d < -ReplayWindow {
		return fmt.Errorf("%w: timestamp %s is %s away", ErrReplay, ts, d.Round(time.Second))
	}
	sum := sha256.Sum256([]byte(ts + "\x00" + nonce))
	key := noncePrefix + t.UTC().Format(nonceBucket) + "/" + hex.EncodeToString(sum[:16]) + ".json"
	_, err := record.Write(ctx, cb.st, key, map[string]string{"ts": ts}, store.PutOptions{IfNoneMatch: true})
	if errors.Is(err, store.ErrPrecondition) {
		return fmt.Errorf("%w: nonce seen before", ErrReplay)
	}
	if err != nil {
		return fmt.Errorf("wecom callback: nonce cache: %w", err)
	}
	return nil
}

// Sweep deletes the nonce records of hours no callback can be fresh in any
// more (bounded: it looks at the two days before). It returns how many it
// deleted.
func (cb *Callback) Sweep(ctx context.Context) (int, error) {
	n := 0
	cutoff := cb.now().UTC().Add(-ReplayWindow - time.Hour)
	for h := 1; h <= sweepHours; h++ {
		hour := cutoff.Add(-time.Duration(h-1) * time.Hour)
		prefix := noncePrefix + hour.Format(nonceBucket) + "/"
		for obj, err := range cb.st.List(ctx, prefix) {
			if err != nil {
				return n, fmt.Errorf("wecom callback: sweep: %w", err)
			}
			if err := cb.st.Delete(ctx, obj.Key); err != nil {
				return n, fmt.Errorf("wecom callback: sweep: %w", err)
			}
			n++
		}
	}
	return n, nil
}
