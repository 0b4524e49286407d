<?php

// Debian's php-laravel-framework instead of Composer: its autoloader brings Illuminate and its dependencies,
// and the app's own classes load from app/ by PSR-4 convention.
require_once 'Illuminate/autoload.php';

spl_autoload_register(function (string $class): void {
    if (str_starts_with($class, 'App\\')) {
        require __DIR__.'/../app/'.str_replace('\\', '/', substr($class, 4)).'.php';
    }
});

$app = new Illuminate\Foundation\Application(dirname(__DIR__));
// Sessions, compiled views and logs live where the harness says (a temporary folder), never in the checkout.
$app->useStoragePath(getenv('STORAGE_PATH') ?: sys_get_temp_dir().'/healfix-laravel-storage');

$app->singleton(Illuminate\Contracts\Http\Kernel::class, App\Http\Kernel::class);
$app->singleton(Illuminate\Contracts\Console\Kernel::class, Illuminate\Foundation\Console\Kernel::class);
$app->singleton(Illuminate\Contracts\Debug\ExceptionHandler::class, Illuminate\Foundation\Exceptions\Handler::class);

return $app;
