-- The app's only table: one row per account (serial id, as most hand-written Express apps have it).
create table if not exists users (
  id serial primary key,
  email text not null unique,
  password_hash text not null,
  created_at timestamptz not null default now()
);
