package service

import (
	"context"
	"encoding/json"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// event is one Standard Webhooks message before it is sent.
type event struct {
	ID   string
	Type string
	At   time.Time
	Body []byte
}

// newEvent builds the Standard Webhooks payload {type, timestamp, data}.
func (s *core) newEvent(typ string, data map[string]any) (*event, error) {
	at := s.clock()
	body, err := json.Marshal(map[string]any{"type": typ, "timestamp": at.Format(time.RFC3339Nano), "data": data})
	if err != nil {
		return nil, err
	}
	return &event{ID: "msg_" + newID(), Type: typ, At: at, Body: body}, nil
}

// newDelivery queues e for a destination, due now.
func (s *core) newDelivery(destinationID string, e *event, accountID, tokenID string) *keyhold.WebhookDelivery {
	at := e.At
	return &keyhold.WebhookDelivery{ID: newID(), DestinationID: destinationID, EventID: e.ID, EventType: e.Type,
		Payload: e.Body, TokenID: tokenID, AccountID: accountID, Status: keyhold.DeliveryPending,
		NextAttemptAt: &at, CreatedAt: at, UpdatedAt: at}
}

// emit queues an event for every destination that receives it, in tx: the
// outbox row commits with the change it reports, or not at all. data is
// built only when some destination wants the event.
func (s *core) emit(ctx context.Context, tx storage.Tx, typ, accountID string, data func() (map[string]any, error)) error {
	dests, err := tx.Webhooks().WebhooksFor(ctx, accountID)
	if err != nil {
		return err
	}
	var e *event
	for _, d := range dests {
		if !d.Subscribes(typ, accountID) {
			continue
		}
		if e == nil {
			m, err := data()
			if err != nil {
				return err
			}
			if e, err = s.newEvent(typ, m); err != nil {
				return err
			}
		}
		if err := tx.Deliveries().AppendDelivery(ctx, s.newDelivery(d.ID, e, accountID, "")); err != nil {
			return err
		}
	}
	return nil
}

// emitToken queues an event about a token, with extra fields in its data.
func (s *core) emitToken(ctx context.Context, tx storage.Tx, typ string, t *keyhold.Token, extra map[string]any) error {
	return s.emit(ctx, tx, typ, tokenAccount(t), func() (map[string]any, error) {
		m := tokenData(ctx, tx, t)
		for k, v := range extra {
			m[k] = v
		}
		return m, nil
	})
}

func tokenAccount(t *keyhold.Token) string {
	if t.Owner.Type == keyhold.PrincipalSystemAccount {
		return t.Owner.ID
	}
	return ""
}

// tokenData describes a token in an event: ids, names, owner and expiry,
// never its value.
func tokenData(ctx context.Context, tx storage.Tx, t *keyhold.Token) map[string]any {
	m := map[string]any{"token_id": t.ID, "token_name": t.Name, "token_type": string(t.Kind), "expires_at": t.ExpiresAt}
	if t.Owner.Type == keyhold.PrincipalSystemAccount {
		m["system_account_id"] = t.Owner.ID
		if a, err := tx.Accounts().GetSystemAccount(ctx, t.Owner.ID); err == nil {
			m["system_account_name"] = a.Name
		}
	} else {
		m["user_id"] = t.Owner.ID
	}
	return m
}

// emitAccount queues an event about an account.
func (s *core) emitAccount(ctx context.Context, tx storage.Tx, typ string, a *keyhold.SystemAccount) error {
	return s.emit(ctx, tx, typ, a.ID, func() (map[string]any, error) {
		return map[string]any{"system_account_id": a.ID, "system_account_name": a.Name}, nil
	})
}
