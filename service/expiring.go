package service

import (
	"context"
	"slices"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// expiryThresholds are the days before expiry at which token.expiring is
// sent, as Konnect sends its e-mails; smallest first, so that a token
// found late gets only the warning that applies now.
var expiryThresholds = []int{1, 7, 14}

// warnExpiring sends token.expiring once per token and threshold. What was
// sent is recorded with the outbox rows, in one transaction, so restarts
// and replicas never repeat a warning. While no destination subscribes,
// nothing is recorded, so a destination added later is warned about the
// threshold each token is in at that time.
func (s *core) warnExpiring(ctx context.Context) error {
	wanted, err := s.expiringWanted(ctx)
	if err != nil || !wanted {
		return err
	}
	for _, days := range expiryThresholds {
		for {
			var n int
			err := s.store.Write(ctx, func(tx storage.Tx) error {
				now := s.clock()
				toks, err := tx.Expiry().ListUnwarnedTokens(ctx, now, now.Add(time.Duration(days)*24*time.Hour), days, 500)
				if err != nil {
					return err
				}
				n = len(toks)
				for _, t := range toks {
					if err := tx.Expiry().RecordExpiryWarning(ctx, t.ID, days, now); err != nil {
						return err
					}
					if err := s.emitToken(ctx, tx, keyhold.EventTokenExpiring, t, map[string]any{"threshold_days": days}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			if n < 500 {
				break
			}
		}
	}
	return nil
}

// expiringWanted reports whether an enabled destination, among all of
// them, receives token.expiring.
func (s *core) expiringWanted(ctx context.Context) (bool, error) {
	var wanted bool
	err := s.read(ctx, func(tx storage.Tx) error {
		for page := 1; !wanted; page++ {
			all, total, err := tx.Webhooks().ListWebhooks(ctx, keyhold.Page{Number: page, Size: keyhold.MaxPageSize})
			if err != nil {
				return err
			}
			for _, d := range all {
				wanted = wanted || d.Enabled && slices.Contains(d.EventTypes, keyhold.EventTokenExpiring)
			}
			if page*keyhold.MaxPageSize >= total {
				break
			}
		}
		return nil
	})
	return wanted, err
}
