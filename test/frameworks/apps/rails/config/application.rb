require_relative "boot"

require "rails"
require "active_record/railtie"
require "action_controller/railtie"
require "action_view/railtie"
require "action_mailer/railtie"
require "pg"
require "devise"

# The smallest Rails 6.1 + Devise 4.8 app healfix's tests run against. What differs between runs comes from the
# environment: DATABASE_URL (config/database.yml), PORT (puma), SMTP_HOST/SMTP_PORT or MAIL_FILE_DIR, LOG_FILE.
module SignupApp
  class Application < Rails::Application
    config.load_defaults 6.1
    config.eager_load = true
    config.secret_key_base = ENV.fetch("SECRET_KEY_BASE", "healfix-test-app-not-a-secret-" + "0" * 64)
    config.hosts.clear

    # Production-like logging: every line tagged with the request id (the X-Request-Id response header).
    config.log_level = :info
    config.log_tags = [:request_id]
    config.logger = ActiveSupport::TaggedLogging.new(ActiveSupport::Logger.new(ENV.fetch("LOG_FILE", "log/production.log")))
    config.consider_all_requests_local = false
    # What `rails new` puts in config/initializers/filter_parameter_logging.rb: passwords and tokens never reach the log.
    config.filter_parameters += [:passw, :secret, :token, :_key, :crypt, :salt, :certificate, :otp, :ssn]
    config.action_controller.perform_caching = false
    config.active_record.dump_schema_after_migration = false

    config.action_mailer.default_url_options = { host: "127.0.0.1", port: ENV.fetch("PORT", "3000").to_i }
    config.action_mailer.raise_delivery_errors = true
    if ENV["MAIL_FILE_DIR"]
      config.action_mailer.delivery_method = :file
      config.action_mailer.file_settings = { location: ENV["MAIL_FILE_DIR"] }
    else
      config.action_mailer.delivery_method = :smtp
      config.action_mailer.smtp_settings = {
        address: ENV.fetch("SMTP_HOST", "127.0.0.1"), port: ENV.fetch("SMTP_PORT", "1025").to_i,
        enable_starttls_auto: false
      }
    end
  end
end
