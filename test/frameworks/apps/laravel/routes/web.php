<?php

use App\Models\User;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Auth;
use Illuminate\Support\Facades\Hash;
use Illuminate\Support\Facades\Route;

// What Breeze's RegisteredUserController and AuthenticatedSessionController do, without Breeze (not in Debian).
Route::get('/', fn () => Auth::check() ? 'Signed in as '.e(Auth::user()->email) : '<a href="/register">Sign up</a>');

Route::get('/register', fn () => view('register'));
Route::post('/register', function (Request $request) {
    $request->validate([
        'name' => ['required', 'string', 'max:255'],
        'email' => ['required', 'string', 'email', 'max:255', 'unique:users'],
        'password' => ['required', 'confirmed', 'min:8'],
    ]);
    $user = User::create([
        'name' => $request->name,
        'email' => $request->email,
        'password' => Hash::make($request->password),
    ]);
    Auth::login($user);

    return redirect('/');
});

Route::get('/login', fn () => view('login'));
Route::post('/login', function (Request $request) {
    $credentials = $request->validate(['email' => ['required', 'email'], 'password' => ['required']]);
    if (! Auth::attempt($credentials)) {
        return back()->withErrors(['email' => 'These credentials do not match our records.'])->onlyInput('email');
    }
    $request->session()->regenerate();

    return redirect('/');
});
