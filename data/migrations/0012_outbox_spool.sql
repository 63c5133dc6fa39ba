-- A queued message is kept as the exact bytes that go out: a file in the spool folder beside
-- the database (Store.SpoolDir), named by spool, written when the message is queued, so a file
-- attached and then edited or deleted changes nothing. '' for a message queued before this
-- version (its attachments are read when it is sent) or one whose text is cleared.
ALTER TABLE outbox ADD COLUMN spool TEXT NOT NULL DEFAULT '';
-- data_ended: the end of the message was about to reach the SMTP server (recorded just before
-- the final dot). Before it, a Mailroom that stopped while sending left a partial message the
-- server dropped, so sending again is safe; after it, the server may have the message.
ALTER TABLE outbox ADD COLUMN data_ended INTEGER NOT NULL DEFAULT 0 CHECK (data_ended IN (0, 1));
-- copy_attempts: how many times appending the Sent copy was started. After the first, the Sent
-- folder is searched for the Message-ID before appending, so the copy is never made twice.
ALTER TABLE outbox ADD COLUMN copy_attempts INTEGER NOT NULL DEFAULT 0;
