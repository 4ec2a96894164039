package portal

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/jinnang/jinnang/portal/backup"
	"github.com/jinnang/jinnang/portal/config"
	"github.com/jinnang/jinnang/portal/store"
)

// openStore opens the configured store backend (without the deadline
// wrapper: open adds it; backup and restore stream for as long as they need).
func openStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	var s store.Store
	var err error
	switch cfg.StoreBackend() {
	case "s3":
		s, err = store.NewS3(ctx, store.S3Config{
			Endpoint: cfg.S3Endpoint, AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey,
			Bucket: cfg.S3Bucket, Region: cfg.S3Region, UseTLS: cfg.S3TLS,
		})
	default:
		s, err = store.NewDisk(filepath.Join(cfg.DataDir, "store"))
	}
	if err != nil {
		return nil, fmt.Errorf("open %s store: %w", cfg.StoreBackend(), err)
	}
	return s, nil
}

// backupCmd writes the whole store to cfg.Args[0]. It opens only the store,
// so it runs next to a serving portal (even with the bleve index locked).
func backupCmd(ctx context.Context, cfg config.Config, log *slog.Logger, start time.Time) error {
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	st, err := backup.BackupFile(ctx, s, cfg.Args[0])
	if err != nil {
		return err
	}
	log.Info("backup finished", "file", cfg.Args[0], "objects", st.Objects, "bytes", st.Bytes,
		"older_versions", st.Versions, "older_version_bytes", st.VersionBytes, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// restoreCmd verifies cfg.Args[0] and writes it into the empty store; the
// caller then reindexes.
func restoreCmd(ctx context.Context, cfg config.Config, log *slog.Logger, start time.Time) error {
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	st, err := backup.RestoreFile(ctx, s, cfg.Args[0])
	if err != nil {
		return fmt.Errorf("restore %s: %w", cfg.Args[0], err)
	}
	if st.Warning != "" {
		log.Warn("restore: history not restored: "+st.Warning, "file", cfg.Args[0])
	}
	log.Info("restore finished; reindexing", "file", cfg.Args[0], "objects", st.Objects, "bytes", st.Bytes,
		"older_versions", st.Versions, "took", time.Since(start).Round(time.Millisecond))
	return nil
}
