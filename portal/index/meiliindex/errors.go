package meiliindex

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/meilisearch/meilisearch-go"

	"github.com/jinnang/jinnang/portal/index"
)

// unavailable wraps err in index.ErrUnavailable when it means the server is
// down or overloaded rather than the request being wrong: no connection,
// a timeout, retries used up on 502/503/504, or any 5xx answer. The web
// layer then answers 503 with the friendly page instead of 500.
func unavailable(err error) error {
	if err == nil || errors.Is(err, index.ErrUnavailable) {
		return err
	}
	if isUnavailable(err) {
		return fmt.Errorf("%w: %w", index.ErrUnavailable, err)
	}
	return err
}

func isUnavailable(err error) bool {
	var me *meilisearch.Error
	if errors.As(err, &me) {
		switch me.ErrCode {
		case meilisearch.CommunicationError, meilisearch.TimeoutError, meilisearch.MaxRetriesExceeded:
			return true
		}
		if me.StatusCode >= 500 {
			return true
		}
	}
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne)
}
