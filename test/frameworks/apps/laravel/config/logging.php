<?php

return [
    'default' => 'single',
    'channels' => [
        'single' => ['driver' => 'single', 'path' => getenv('LOG_FILE') ?: storage_path('logs/laravel.log'), 'level' => 'debug'],
    ],
];
