Devise.setup do |config|
  require "devise/orm/active_record"
  config.mailer_sender = "signup@app.test"
  config.case_insensitive_keys = [:email]
  config.strip_whitespace_keys = [:email]
  config.skip_session_storage = [:http_auth]
  config.stretches = 12
  config.reconfirmable = true
  config.confirm_within = 3.days
  config.expire_all_remember_me_on_sign_out = true
  config.password_length = 6..128
  config.email_regexp = /\A[^@\s]+@[^@\s]+\z/
  # lockable: three failures lock the account; it unlocks after an hour or by the mailed link.
  config.lock_strategy = :failed_attempts
  config.unlock_keys = [:email]
  config.unlock_strategy = :both
  config.maximum_attempts = 3
  config.unlock_in = 1.hour
  config.last_attempt_warning = true
  config.reset_password_within = 6.hours
  config.sign_out_via = :delete
  config.navigational_formats = ["*/*", :html]
end
