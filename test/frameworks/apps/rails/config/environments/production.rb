# Everything is in config/application.rb; Rails only needs this file to exist for RAILS_ENV=production.
