package portal

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jinnang/jinnang/portal/config"
	"github.com/jinnang/jinnang/portal/polls"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/suggest"
)

// suggestKeyObject is where a portal without a configured secret keeps the
// random root key of receipts and votes, made once by the first process.
const suggestKeyObject = "keys/suggest.key"

// openSuggest builds the suggestion boxes and the polls. Both need a key
// that is the same in every process and across restarts (receipt lookups
// and vote names are keyed hashes; a new key would orphan every receipt and
// let people vote again). With cfg.SecretKey set, the keys are derived from
// it and never written anywhere. Without one (dev provider only), a random
// root key is created once in the store at keys/suggest.key with a
// create-once write, so that concurrent first starts agree on one key; note
// that anyone who can read the store can then read the key. Setting a
// secret later changes the keys.
// members counts each department's people for the polls' "not yet voted".
func openSuggest(ctx context.Context, cfg config.Config, st store.Store, members polls.Members) (*suggest.Service, *polls.Service, error) {
	root := []byte(cfg.SecretKey)
	if len(root) == 0 {
		var err error
		if root, err = storedKey(ctx, st); err != nil {
			return nil, nil, fmt.Errorf("suggestion key: %w", err)
		}
	}
	sg, err := suggest.New(st, deriveKey(root, "jinnang/suggest/v1"), suggest.Options{})
	if err != nil {
		return nil, nil, err
	}
	pl, err := polls.New(st, deriveKey(root, "jinnang/polls/v1"), members, time.Now)
	if err != nil {
		return nil, nil, err
	}
	return sg, pl, nil
}

// deriveKey is HMAC-SHA256(root, purpose): one independent key per use.
func deriveKey(root []byte, purpose string) []byte {
	m := hmac.New(sha256.New, root)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// storedKey returns the root key kept in the store, creating it first when
// there is none (a lost race reads the winner's key).
func storedKey(ctx context.Context, st store.Store) ([]byte, error) {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never returns an error
	_, err := st.Put(ctx, suggestKeyObject, bytes.NewReader(key), store.PutOptions{Size: int64(len(key)), IfNoneMatch: true})
	if err == nil {
		return key, nil
	}
	if !errors.Is(err, store.ErrPrecondition) {
		return nil, fmt.Errorf("create %s: %w", suggestKeyObject, err)
	}
	rc, _, err := st.Get(ctx, suggestKeyObject)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", suggestKeyObject, err)
	}
	b, rerr := io.ReadAll(io.LimitReader(rc, 1024))
	if cerr := rc.Close(); rerr == nil {
		rerr = cerr
	}
	if rerr != nil {
		return nil, fmt.Errorf("read %s: %w", suggestKeyObject, rerr)
	}
	if len(b) < 32 {
		return nil, fmt.Errorf("%s holds %d bytes; want 32", suggestKeyObject, len(b))
	}
	return b, nil
}
