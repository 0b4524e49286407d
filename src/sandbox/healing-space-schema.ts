import type pg from 'pg';

/**
 * The part of the Healing Space schema (Flask + PostgreSQL, ../shared/reference/healing-space.md) that its
 * registration touches: users (text primary key, no sequence) and six `id SERIAL` tables.
 *
 * Seed rows are inserted with explicit ids, as the app's own data import did. With `lagging: true` the four
 * sequences of the seed report (notifications, audit_logs, alerts, chat_sessions) are left untouched, so
 * their next value (1) collides with existing rows: the first registration fails with
 * `duplicate key value violates unique constraint "notifications_pkey"`, `Key (id)=(1) already exists.`
 * Without `lagging`, every sequence is moved past max(id).
 */
export async function createHealingSpaceSchema(client: pg.ClientBase, options: { lagging?: boolean } = {}): Promise<void> {
  await client.query(`
    create table users (
      username text primary key,
      email text,
      phone text,
      password_hash text not null,
      pin_hash text,
      full_name text,
      dob text,
      conditions text,
      country text,
      area text,
      role text not null default 'user',
      clinician_id text,
      created_at timestamp not null default now(),
      last_login timestamp
    );
    create table notifications (
      id serial primary key,
      recipient_username text not null,
      message text not null,
      notification_type text not null default 'info',
      read boolean not null default false,
      created_at timestamp not null default now()
    );
    create table audit_logs (
      id serial primary key,
      username text,
      action text not null,
      details text,
      created_at timestamp not null default now()
    );
    create table alerts (
      id serial primary key,
      username text not null,
      alert_type text not null,
      details text,
      status text not null default 'open',
      created_at timestamp not null default now()
    );
    create table chat_sessions (
      id serial primary key,
      username text not null,
      session_name text not null default 'Main Chat',
      is_active boolean not null default true,
      created_at timestamp not null default now()
    );
    create table patient_approvals (
      id serial primary key,
      patient_username text not null,
      clinician_username text not null,
      status text not null default 'pending',
      request_date timestamp not null default now()
    );
    create table verification_codes (
      id serial primary key,
      identifier text not null,
      code text not null,
      method text not null default 'email',
      created_at timestamp not null default now(),
      expires_at timestamp not null,
      verified boolean not null default false
    );

    insert into users (username, email, phone, password_hash, pin_hash, full_name, dob, conditions, country, area, role) values
      ('admin', 'admin@healing.example', '+440000000001', 'seed', 'seed', 'Admin', '1980-01-01', 'n/a', 'UK', 'London', 'admin'),
      ('dr_smith', 'smith@healing.example', '+440000000002', 'seed', 'seed', 'Dr Smith', '1975-05-05', 'n/a', 'UK', 'Leeds', 'clinician'),
      ('patient_one', 'p1@healing.example', '+440000000003', 'seed', 'seed', 'Patient One', '1990-01-01', 'Anxiety', 'UK', 'York', 'user');

    insert into notifications (id, recipient_username, message, notification_type) values
      (1, 'admin', 'Welcome to Healing Space', 'welcome'),
      (2, 'dr_smith', 'Welcome to Healing Space', 'welcome'),
      (3, 'patient_one', 'Welcome to Healing Space', 'welcome');
    insert into audit_logs (id, username, action, details) values
      (1, 'admin', 'register', 'seed'), (2, 'dr_smith', 'register', 'seed'), (3, 'patient_one', 'register', 'seed'),
      (4, 'patient_one', 'login', 'seed'), (5, 'admin', 'login', 'seed');
    insert into alerts (id, username, alert_type, details) values
      (1, 'patient_one', 'mood', 'seed'), (2, 'patient_one', 'crisis', 'seed');
    insert into chat_sessions (id, username) values (1, 'patient_one'), (2, 'admin');
    insert into patient_approvals (id, patient_username, clinician_username, status) values (1, 'patient_one', 'dr_smith', 'approved');
    select setval('patient_approvals_id_seq', 1);
  `);
  if (!options.lagging) {
    await client.query(`
      select setval('notifications_id_seq', (select max(id) from notifications));
      select setval('audit_logs_id_seq', (select max(id) from audit_logs));
      select setval('alerts_id_seq', (select max(id) from alerts));
      select setval('chat_sessions_id_seq', (select max(id) from chat_sessions));
    `);
  }
}

/** The tables a Healing Space registration writes to, for naming the sequences that matter. */
export const HEALING_SPACE_REGISTER_TABLES = ['users', 'notifications', 'patient_approvals', 'audit_logs'] as const;
