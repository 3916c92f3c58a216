import GRDB

/// Named, append-only migrations. Never edit one that has shipped: add the next.
enum SQLiteMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-23-network-and-accounts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE network (
                        key TEXT PRIMARY KEY,
                        value TEXT NOT NULL
                    );
                    CREATE TABLE states (
                        code TEXT PRIMARY KEY,
                        name TEXT NOT NULL,
                        timezone TEXT NOT NULL
                    );
                    CREATE TABLE organizations (
                        id INTEGER PRIMARY KEY,
                        slug TEXT NOT NULL UNIQUE,
                        name TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        state TEXT NOT NULL REFERENCES states(code),
                        city TEXT
                    );
                    CREATE TABLE users (
                        id INTEGER PRIMARY KEY,
                        email TEXT NOT NULL UNIQUE,
                        password_hash TEXT NOT NULL,
                        display_name TEXT NOT NULL,
                        organization_id INTEGER REFERENCES organizations(id),
                        created_at DATETIME NOT NULL
                    );
                    CREATE TABLE sessions (
                        id INTEGER PRIMARY KEY,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        token_hash TEXT NOT NULL UNIQUE,
                        csrf_token TEXT NOT NULL,
                        created_at DATETIME NOT NULL,
                        last_used_at DATETIME NOT NULL,
                        expires_at DATETIME NOT NULL
                    );
                    CREATE INDEX sessions_user ON sessions(user_id);
                    CREATE TABLE communities (
                        id INTEGER PRIMARY KEY,
                        slug TEXT NOT NULL UNIQUE,
                        name TEXT NOT NULL,
                        description TEXT NOT NULL,
                        timezone TEXT NOT NULL,
                        readiness TEXT NOT NULL,
                        visibility TEXT NOT NULL,
                        created_at DATETIME NOT NULL
                    );
                    CREATE TABLE community_states (
                        community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
                        state TEXT NOT NULL REFERENCES states(code),
                        PRIMARY KEY (community_id, state)
                    );
                    CREATE TABLE community_organizations (
                        community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
                        organization_id INTEGER NOT NULL REFERENCES organizations(id),
                        PRIMARY KEY (community_id, organization_id)
                    );
                    CREATE TABLE committees (
                        id INTEGER PRIMARY KEY,
                        community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
                        slug TEXT NOT NULL,
                        name TEXT NOT NULL,
                        purpose TEXT NOT NULL,
                        confers TEXT NOT NULL,
                        UNIQUE (community_id, slug)
                    );
                    CREATE TABLE invites (
                        id INTEGER PRIMARY KEY,
                        code_hash TEXT NOT NULL UNIQUE,
                        community_id INTEGER REFERENCES communities(id) ON DELETE CASCADE,
                        created_by INTEGER REFERENCES users(id),
                        email TEXT,
                        created_at DATETIME NOT NULL,
                        expires_at DATETIME NOT NULL,
                        used_by INTEGER REFERENCES users(id),
                        used_at DATETIME
                    );
                    CREATE TABLE memberships (
                        community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        joined_at DATETIME NOT NULL,
                        PRIMARY KEY (community_id, user_id)
                    );
                    CREATE INDEX memberships_user ON memberships(user_id);
                    CREATE TABLE grants (
                        id INTEGER PRIMARY KEY,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        role TEXT NOT NULL,
                        scope_kind TEXT NOT NULL,
                        community_id INTEGER REFERENCES communities(id) ON DELETE CASCADE,
                        committee_id INTEGER REFERENCES committees(id) ON DELETE CASCADE,
                        scope_key TEXT NOT NULL,
                        granted_by INTEGER REFERENCES users(id),
                        created_at DATETIME NOT NULL,
                        UNIQUE (user_id, role, scope_key)
                    );
                    CREATE INDEX grants_user ON grants(user_id);
                    CREATE INDEX grants_community ON grants(community_id);
                    CREATE TABLE channels (
                        id INTEGER PRIMARY KEY,
                        community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
                        name TEXT NOT NULL,
                        topic TEXT NOT NULL,
                        private INTEGER NOT NULL DEFAULT 0,
                        announcement_only INTEGER NOT NULL DEFAULT 0,
                        created_at DATETIME NOT NULL,
                        UNIQUE (community_id, name)
                    );
                    CREATE TABLE tags (
                        community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
                        slug TEXT NOT NULL,
                        name TEXT NOT NULL,
                        PRIMARY KEY (community_id, slug)
                    );
                    CREATE TABLE call_series (
                        id INTEGER PRIMARY KEY,
                        community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
                        title TEXT NOT NULL,
                        description TEXT NOT NULL,
                        timezone TEXT NOT NULL,
                        dtstart TEXT NOT NULL,
                        duration_minutes INTEGER NOT NULL,
                        rrule TEXT NOT NULL,
                        until TEXT,
                        semester TEXT,
                        created_at DATETIME NOT NULL,
                        UNIQUE (community_id, semester)
                    );
                    """
            )
        }
        migrator.registerMigration("2026-11-23-channel-messages") { db in
            try db.execute(
                sql: """
                    ALTER TABLE channels ADD COLUMN slow_mode_seconds INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE channels ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE channels ADD COLUMN created_by INTEGER REFERENCES users(id);
                    CREATE TABLE channel_members (
                        channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        added_at DATETIME NOT NULL,
                        PRIMARY KEY (channel_id, user_id)
                    );
                    CREATE INDEX channel_members_user ON channel_members(user_id);
                    CREATE TABLE messages (
                        id INTEGER PRIMARY KEY,
                        channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
                        community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
                        seq INTEGER NOT NULL,
                        author_id INTEGER NOT NULL REFERENCES users(id),
                        body TEXT NOT NULL,
                        body_html TEXT NOT NULL,
                        thread_id INTEGER REFERENCES messages(id),
                        reply_count INTEGER NOT NULL DEFAULT 0,
                        nonce TEXT NOT NULL,
                        created_at DATETIME NOT NULL,
                        edited_at DATETIME,
                        deleted INTEGER NOT NULL DEFAULT 0,
                        UNIQUE (channel_id, seq),
                        UNIQUE (author_id, nonce)
                    );
                    CREATE TABLE channel_events (
                        channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
                        seq INTEGER NOT NULL,
                        type TEXT NOT NULL,
                        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                        created_at DATETIME NOT NULL,
                        PRIMARY KEY (channel_id, seq)
                    );
                    """
            )
        }
        migrator.registerMigration("2026-11-23-message-revisions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE message_revisions (
                        id INTEGER PRIMARY KEY,
                        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                        community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
                        body TEXT NOT NULL,
                        replaced_at DATETIME NOT NULL,
                        replaced_by INTEGER NOT NULL REFERENCES users(id)
                    );
                    CREATE INDEX message_revisions_message ON message_revisions(message_id);
                    """)
        }
        migrator.registerMigration("2026-11-23-reactions-and-pins") { db in
            try db.execute(
                sql: """
                    ALTER TABLE messages ADD COLUMN reactions TEXT NOT NULL DEFAULT '[]';
                    ALTER TABLE messages ADD COLUMN pinned_at DATETIME;
                    ALTER TABLE messages ADD COLUMN pinned_by INTEGER REFERENCES users(id);
                    CREATE INDEX messages_pinned ON messages(channel_id, pinned_at) WHERE pinned_at IS NOT NULL;
                    CREATE TABLE message_reactions (
                        id INTEGER PRIMARY KEY,
                        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        emoji TEXT NOT NULL,
                        created_at DATETIME NOT NULL,
                        UNIQUE (message_id, emoji, user_id)
                    );
                    """)
        }
        migrator.registerMigration("2026-11-23-read-markers") { db in
            try db.execute(
                sql: """
                    CREATE TABLE channel_reads (
                        channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        seq INTEGER NOT NULL,
                        updated_at DATETIME NOT NULL,
                        PRIMARY KEY (user_id, channel_id)
                    );
                    CREATE INDEX messages_community_seq ON messages(community_id, channel_id, seq);
                    """)
        }
        migrator.registerMigration("2026-11-23-notifications") { db in
            try db.execute(
                sql: """
                    CREATE TABLE notifications (
                        id INTEGER PRIMARY KEY,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        kind TEXT NOT NULL,
                        community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
                        channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
                        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                        actor_id INTEGER NOT NULL REFERENCES users(id),
                        created_at DATETIME NOT NULL,
                        read_at DATETIME
                    );
                    CREATE INDEX notifications_user ON notifications(user_id, id);
                    CREATE INDEX notifications_message ON notifications(message_id);
                    """)
        }
        migrator.registerMigration("2026-11-23-message-search") { db in
            // English stemming (porter), accents folded; kept in step with messages by triggers.
            try db.execute(
                sql: """
                    CREATE VIRTUAL TABLE messages_fts USING fts5(
                        body, content='messages', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');
                    INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages;
                    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
                        INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
                    END;
                    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
                        INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
                    END;
                    CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
                        INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
                        INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
                    END;
                    """)
        }
        migrator.registerMigration("2026-11-23-stream-tickets") { db in
            try db.execute(
                sql: """
                    CREATE TABLE stream_tickets (
                        ticket_hash TEXT PRIMARY KEY,
                        token_hash TEXT NOT NULL,
                        expires_at DATETIME NOT NULL
                    );
                    CREATE INDEX stream_tickets_expiry ON stream_tickets(expires_at);
                    """)
        }
        migrator.registerMigration("2026-11-23-sanctions-and-audit") { db in
            try db.execute(
                sql: """
                    CREATE TABLE sanctions (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        kind TEXT NOT NULL,
                        community_id INTEGER REFERENCES communities(id),
                        reason TEXT NOT NULL,
                        created_by INTEGER NOT NULL REFERENCES users(id),
                        created_at DATETIME NOT NULL,
                        ends_at DATETIME,
                        lifted_at DATETIME,
                        lifted_by INTEGER REFERENCES users(id)
                    );
                    CREATE INDEX sanctions_user ON sanctions(user_id);
                    CREATE TABLE audit_log (
                        id INTEGER PRIMARY KEY,
                        community_id INTEGER,
                        actor_id INTEGER NOT NULL,
                        action TEXT NOT NULL,
                        target_type TEXT NOT NULL,
                        target_id INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        before_json TEXT,
                        after_json TEXT,
                        created_at_ms INTEGER NOT NULL,
                        previous_hash TEXT NOT NULL,
                        hash TEXT NOT NULL
                    );
                    CREATE INDEX audit_log_community ON audit_log(community_id, id);
                    """)
        }
        migrator.registerMigration("2026-11-23-appeals") { db in
            try db.execute(
                sql: """
                    CREATE TABLE appeals (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        action_id INTEGER NOT NULL UNIQUE REFERENCES audit_log(id),
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        text TEXT NOT NULL,
                        created_at DATETIME NOT NULL,
                        outcome TEXT,
                        note TEXT,
                        decided_by INTEGER REFERENCES users(id),
                        decided_at DATETIME
                    );
                    """)
        }
        migrator.registerMigration("2026-11-30-flags-review-locks") { db in
            try db.execute(
                sql: """
                    ALTER TABLE messages ADD COLUMN hidden_at DATETIME;
                    ALTER TABLE messages ADD COLUMN hidden_by INTEGER REFERENCES users(id);
                    ALTER TABLE channels ADD COLUMN locked BOOLEAN NOT NULL DEFAULT 0;
                    CREATE TABLE review_items (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        community_id INTEGER NOT NULL REFERENCES communities(id),
                        target_type TEXT NOT NULL,
                        target_id INTEGER NOT NULL,
                        state TEXT NOT NULL DEFAULT 'open',
                        escalated BOOLEAN NOT NULL DEFAULT 0,
                        assignee_id INTEGER REFERENCES users(id),
                        flag_count INTEGER NOT NULL DEFAULT 0,
                        created_at DATETIME NOT NULL,
                        settled_by INTEGER REFERENCES users(id),
                        settled_at DATETIME
                    );
                    CREATE UNIQUE INDEX review_items_open_target ON review_items(target_type, target_id) WHERE state = 'open';
                    CREATE INDEX review_items_queue ON review_items(community_id, state, escalated, id);
                    CREATE TABLE flags (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        review_item_id INTEGER NOT NULL REFERENCES review_items(id),
                        community_id INTEGER NOT NULL REFERENCES communities(id),
                        target_type TEXT NOT NULL,
                        target_id INTEGER NOT NULL,
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        reason TEXT NOT NULL,
                        note TEXT,
                        created_at DATETIME NOT NULL,
                        UNIQUE (target_type, target_id, user_id)
                    );
                    CREATE INDEX flags_item ON flags(review_item_id);
                    """)
        }
        migrator.registerMigration("2026-11-30-watched-words") { db in
            try db.execute(
                sql: """
                    CREATE TABLE watched_words (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        community_id INTEGER NOT NULL REFERENCES communities(id),
                        pattern TEXT NOT NULL,
                        action TEXT NOT NULL,
                        created_by INTEGER NOT NULL REFERENCES users(id),
                        created_at DATETIME NOT NULL,
                        UNIQUE (community_id, pattern)
                    );
                    ALTER TABLE review_items ADD COLUMN watched_word TEXT;
                    CREATE TABLE pending_messages (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        community_id INTEGER NOT NULL REFERENCES communities(id),
                        channel_id INTEGER NOT NULL REFERENCES channels(id),
                        author_id INTEGER NOT NULL REFERENCES users(id),
                        body TEXT NOT NULL,
                        thread_id INTEGER,
                        nonce TEXT NOT NULL,
                        watched_word TEXT NOT NULL,
                        state TEXT NOT NULL DEFAULT 'open',
                        created_at DATETIME NOT NULL,
                        decided_by INTEGER REFERENCES users(id),
                        decided_at DATETIME,
                        message_id INTEGER,
                        UNIQUE (author_id, nonce)
                    );
                    CREATE INDEX pending_messages_queue ON pending_messages(community_id, state, id);
                    """)
        }
        migrator.registerMigration("2026-11-30-forums") { db in
            try db.execute(
                sql: """
                    CREATE TABLE questions (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        community_id INTEGER NOT NULL REFERENCES communities(id),
                        author_id INTEGER NOT NULL REFERENCES users(id),
                        title TEXT NOT NULL,
                        body TEXT NOT NULL,
                        body_html TEXT NOT NULL,
                        tags TEXT NOT NULL,
                        score INTEGER NOT NULL DEFAULT 0,
                        answer_count INTEGER NOT NULL DEFAULT 0,
                        accepted_answer_id INTEGER,
                        created_at DATETIME NOT NULL,
                        last_activity_at DATETIME NOT NULL
                    );
                    CREATE INDEX questions_activity ON questions(community_id, last_activity_at);
                    CREATE TABLE question_tags (
                        question_id INTEGER NOT NULL REFERENCES questions(id),
                        community_id INTEGER NOT NULL,
                        tag TEXT NOT NULL,
                        PRIMARY KEY (question_id, tag)
                    );
                    CREATE INDEX question_tags_tag ON question_tags(community_id, tag);
                    CREATE TABLE answers (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        question_id INTEGER NOT NULL REFERENCES questions(id),
                        community_id INTEGER NOT NULL REFERENCES communities(id),
                        author_id INTEGER NOT NULL REFERENCES users(id),
                        body TEXT NOT NULL,
                        body_html TEXT NOT NULL,
                        score INTEGER NOT NULL DEFAULT 0,
                        created_at DATETIME NOT NULL,
                        accepted_at DATETIME,
                        accepted_by INTEGER REFERENCES users(id)
                    );
                    CREATE INDEX answers_question ON answers(question_id);
                    CREATE TABLE votes (
                        target_type TEXT NOT NULL,
                        target_id INTEGER NOT NULL,
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        value INTEGER NOT NULL,
                        created_at DATETIME NOT NULL,
                        PRIMARY KEY (target_type, target_id, user_id)
                    );
                    """)
        }
        migrator.registerMigration("2026-11-30-comments") { db in
            try db.execute(
                sql: """
                    CREATE TABLE comments (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        community_id INTEGER NOT NULL REFERENCES communities(id),
                        question_id INTEGER NOT NULL REFERENCES questions(id),
                        target_type TEXT NOT NULL,
                        target_id INTEGER NOT NULL,
                        author_id INTEGER NOT NULL REFERENCES users(id),
                        body TEXT NOT NULL,
                        body_html TEXT NOT NULL,
                        created_at DATETIME NOT NULL
                    );
                    CREATE INDEX comments_question ON comments(question_id, id);
                    """)
        }
        migrator.registerMigration("2026-11-30-post-revisions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE post_revisions (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        community_id INTEGER NOT NULL REFERENCES communities(id),
                        target_type TEXT NOT NULL,
                        target_id INTEGER NOT NULL,
                        number INTEGER NOT NULL,
                        title TEXT,
                        body TEXT NOT NULL,
                        tags TEXT,
                        editor_id INTEGER NOT NULL REFERENCES users(id),
                        reason TEXT,
                        created_at DATETIME NOT NULL,
                        UNIQUE (target_type, target_id, number)
                    );
                    """)
        }
        migrator.registerMigration("2026-11-30-closed-questions") { db in
            try db.execute(
                sql: """
                    ALTER TABLE questions ADD COLUMN closed_at DATETIME;
                    ALTER TABLE questions ADD COLUMN closed_by INTEGER REFERENCES users(id);
                    ALTER TABLE questions ADD COLUMN close_reason TEXT;
                    ALTER TABLE questions ADD COLUMN duplicate_of INTEGER REFERENCES questions(id);
                    CREATE INDEX questions_duplicate_of ON questions(duplicate_of) WHERE duplicate_of IS NOT NULL;
                    """)
        }
        migrator.registerMigration("2026-11-30-answer-curation") { db in
            try db.execute(
                sql: """
                    ALTER TABLE answers ADD COLUMN outdated_at DATETIME;
                    ALTER TABLE answers ADD COLUMN outdated_by INTEGER REFERENCES users(id);
                    ALTER TABLE answers ADD COLUMN outdated_note TEXT;
                    ALTER TABLE answers ADD COLUMN review_by DATETIME;
                    """)
        }
        migrator.registerMigration("2026-11-30-forum-search") { db in
            // As messages_fts: English stemming (porter), accents folded; kept in step by triggers.
            try db.execute(
                sql: """
                    CREATE VIRTUAL TABLE questions_fts USING fts5(
                        title, body, content='questions', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');
                    INSERT INTO questions_fts (rowid, title, body) SELECT id, title, body FROM questions;
                    CREATE TRIGGER questions_fts_insert AFTER INSERT ON questions BEGIN
                        INSERT INTO questions_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
                    END;
                    CREATE TRIGGER questions_fts_delete AFTER DELETE ON questions BEGIN
                        INSERT INTO questions_fts (questions_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
                    END;
                    CREATE TRIGGER questions_fts_update AFTER UPDATE OF title, body ON questions BEGIN
                        INSERT INTO questions_fts (questions_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
                        INSERT INTO questions_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
                    END;
                    CREATE VIRTUAL TABLE answers_fts USING fts5(
                        body, content='answers', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');
                    INSERT INTO answers_fts (rowid, body) SELECT id, body FROM answers;
                    CREATE TRIGGER answers_fts_insert AFTER INSERT ON answers BEGIN
                        INSERT INTO answers_fts (rowid, body) VALUES (new.id, new.body);
                    END;
                    CREATE TRIGGER answers_fts_delete AFTER DELETE ON answers BEGIN
                        INSERT INTO answers_fts (answers_fts, rowid, body) VALUES ('delete', old.id, old.body);
                    END;
                    CREATE TRIGGER answers_fts_update AFTER UPDATE OF body ON answers BEGIN
                        INSERT INTO answers_fts (answers_fts, rowid, body) VALUES ('delete', old.id, old.body);
                        INSERT INTO answers_fts (rowid, body) VALUES (new.id, new.body);
                    END;
                    CREATE INDEX answers_accepted ON answers(accepted_at) WHERE accepted_at IS NOT NULL;
                    CREATE INDEX answers_review_by ON answers(review_by) WHERE review_by IS NOT NULL;
                    """)
        }
        migrator.registerMigration("2026-11-30-forum-notifications") { db in
            // A notification comes from a message or from a forum post: the table is rebuilt with
            // the message columns optional and the post's added.
            try db.execute(
                sql: """
                    CREATE TABLE notifications_new (
                        id INTEGER PRIMARY KEY,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        kind TEXT NOT NULL,
                        community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
                        channel_id INTEGER REFERENCES channels(id) ON DELETE CASCADE,
                        message_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
                        question_id INTEGER REFERENCES questions(id) ON DELETE CASCADE,
                        post_type TEXT,
                        post_id INTEGER,
                        actor_id INTEGER NOT NULL REFERENCES users(id),
                        created_at DATETIME NOT NULL,
                        read_at DATETIME,
                        CHECK ((message_id IS NOT NULL) != (question_id IS NOT NULL))
                    );
                    INSERT INTO notifications_new (id, user_id, kind, community_id, channel_id, message_id, actor_id, created_at, read_at)
                        SELECT id, user_id, kind, community_id, channel_id, message_id, actor_id, created_at, read_at FROM notifications;
                    DROP TABLE notifications;
                    ALTER TABLE notifications_new RENAME TO notifications;
                    CREATE INDEX notifications_user ON notifications(user_id, id);
                    CREATE INDEX notifications_message ON notifications(message_id);
                    CREATE TABLE forum_watches (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        community_id INTEGER NOT NULL REFERENCES communities(id),
                        kind TEXT NOT NULL,
                        question_id INTEGER NOT NULL DEFAULT 0,
                        tag TEXT NOT NULL DEFAULT '',
                        created_at DATETIME NOT NULL,
                        UNIQUE (user_id, community_id, kind, question_id, tag)
                    );
                    CREATE INDEX forum_watches_question ON forum_watches(question_id) WHERE kind = 'question';
                    CREATE INDEX forum_watches_community ON forum_watches(community_id, kind, tag);
                    """)
        }
        migrator.registerMigration("2026-11-30-promoted-threads") { db in
            try db.execute(
                sql: """
                    ALTER TABLE questions ADD COLUMN source_message_id INTEGER REFERENCES messages(id);
                    ALTER TABLE questions ADD COLUMN source_channel_id INTEGER REFERENCES channels(id);
                    CREATE UNIQUE INDEX questions_source ON questions(source_message_id) WHERE source_message_id IS NOT NULL;
                    """)
        }
        migrator.registerMigration("2026-11-30-hidden-posts") { db in
            try db.execute(
                sql: """
                    ALTER TABLE questions ADD COLUMN hidden_at DATETIME;
                    ALTER TABLE questions ADD COLUMN hidden_by INTEGER REFERENCES users(id);
                    ALTER TABLE answers ADD COLUMN hidden_at DATETIME;
                    ALTER TABLE answers ADD COLUMN hidden_by INTEGER REFERENCES users(id);
                    """)
        }
        migrator.registerMigration("2026-11-30-call-overrides") { db in
            try db.execute(
                sql: """
                    ALTER TABLE call_series ADD COLUMN exdates TEXT NOT NULL DEFAULT '[]';
                    ALTER TABLE call_series ADD COLUMN capacity INTEGER;
                    ALTER TABLE call_series ADD COLUMN created_by INTEGER REFERENCES users(id);
                    CREATE TABLE occurrence_overrides (
                        series_id INTEGER NOT NULL REFERENCES call_series(id) ON DELETE CASCADE,
                        original_start TEXT NOT NULL,
                        start TEXT,
                        cancelled BOOLEAN NOT NULL DEFAULT 0,
                        sequence INTEGER NOT NULL,
                        updated_by INTEGER REFERENCES users(id),
                        updated_at DATETIME NOT NULL,
                        PRIMARY KEY (series_id, original_start)
                    );
                    """)
        }
        migrator.registerMigration("2026-11-30-rsvps") { db in
            // occurrence '' is the whole series.
            try db.execute(
                sql: """
                    CREATE TABLE rsvps (
                        series_id INTEGER NOT NULL REFERENCES call_series(id) ON DELETE CASCADE,
                        occurrence TEXT NOT NULL,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        status TEXT NOT NULL,
                        going_since DATETIME,
                        updated_at DATETIME NOT NULL,
                        PRIMARY KEY (series_id, occurrence, user_id)
                    );
                    """)
        }
        migrator.registerMigration("2026-11-30-calendar-tokens") { db in
            try db.execute(
                sql: """
                    CREATE TABLE calendar_tokens (
                        user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
                        token_hash TEXT NOT NULL UNIQUE,
                        created_at DATETIME NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("2026-11-30-call-reminders") { db in
            // A notification comes from a message, a forum post, or a call (a reminder, with no actor).
            try db.execute(
                sql: """
                    CREATE TABLE notifications_new (
                        id INTEGER PRIMARY KEY,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        kind TEXT NOT NULL,
                        community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
                        channel_id INTEGER REFERENCES channels(id) ON DELETE CASCADE,
                        message_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
                        question_id INTEGER REFERENCES questions(id) ON DELETE CASCADE,
                        post_type TEXT,
                        post_id INTEGER,
                        series_id INTEGER REFERENCES call_series(id) ON DELETE CASCADE,
                        occurrence_id TEXT,
                        actor_id INTEGER REFERENCES users(id),
                        created_at DATETIME NOT NULL,
                        read_at DATETIME,
                        CHECK ((message_id IS NOT NULL) + (question_id IS NOT NULL) + (occurrence_id IS NOT NULL) = 1)
                    );
                    INSERT INTO notifications_new (id, user_id, kind, community_id, channel_id, message_id, question_id, post_type, post_id, actor_id,
                                                   created_at, read_at)
                        SELECT id, user_id, kind, community_id, channel_id, message_id, question_id, post_type, post_id, actor_id, created_at, read_at
                        FROM notifications;
                    DROP TABLE notifications;
                    ALTER TABLE notifications_new RENAME TO notifications;
                    CREATE INDEX notifications_user ON notifications(user_id, id);
                    CREATE INDEX notifications_message ON notifications(message_id);
                    CREATE UNIQUE INDEX notifications_reminders ON notifications(user_id, kind, occurrence_id) WHERE occurrence_id IS NOT NULL;
                    """)
        }
        migrator.registerMigration("2026-11-30-occurrence-texts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE occurrence_texts (
                        series_id INTEGER NOT NULL REFERENCES call_series(id) ON DELETE CASCADE,
                        occurrence TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        number INTEGER NOT NULL,
                        body TEXT NOT NULL,
                        editor_id INTEGER NOT NULL REFERENCES users(id),
                        created_at DATETIME NOT NULL,
                        PRIMARY KEY (series_id, occurrence, kind, number)
                    );
                    """)
        }
        migrator.registerMigration("2026-12-01-call-rooms") { db in
            try db.execute(
                sql: """
                    CREATE TABLE call_rooms (
                        id INTEGER PRIMARY KEY,
                        series_id INTEGER NOT NULL REFERENCES call_series(id) ON DELETE CASCADE,
                        community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
                        occurrence TEXT NOT NULL,
                        channel_id INTEGER REFERENCES channels(id) ON DELETE SET NULL,
                        lobby_minutes INTEGER NOT NULL,
                        UNIQUE (series_id, occurrence)
                    );
                    CREATE TABLE call_room_records (
                        room_id INTEGER NOT NULL REFERENCES call_rooms(id) ON DELETE CASCADE,
                        seq INTEGER NOT NULL,
                        at DATETIME NOT NULL,
                        actor_id INTEGER NOT NULL REFERENCES users(id),
                        command TEXT NOT NULL,
                        PRIMARY KEY (room_id, seq)
                    );
                    """)
        }
        migrator.registerMigration("2026-12-01-call-questions") { db in
            // A question a call left unanswered names the call; each becomes one forum question.
            try db.execute(
                sql: """
                    ALTER TABLE questions ADD COLUMN source_occurrence TEXT;
                    ALTER TABLE questions ADD COLUMN source_call_question INTEGER;
                    CREATE UNIQUE INDEX questions_call_source ON questions(source_occurrence, source_call_question) WHERE source_occurrence IS NOT NULL;
                    """)
        }
        return migrator
    }
}
